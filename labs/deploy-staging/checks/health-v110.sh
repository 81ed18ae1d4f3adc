#!/bin/bash
# Probe: health through Nginx is 200 from the real API (v1.1.0, database and cache ok), and the API
# serves a donation drawn now from PostgreSQL with the amount the database holds, and a charity's
# Section 18A status as only v1.1.0's code does.
set -uo pipefail
URL=https://impactlink.solovedhelpinghands.org.za
out=$(hcurl -s --max-time 5 -w '\n%{http_code}' "$URL/api/v1/health")
code=${out##*$'\n'}
body=${out%$'\n'*}
obs health_code "${code:-000}"
for field in version database cache; do
    obs "health_$field" "$(jq -r ".$field // \"none\"" <<<"$body" 2>/dev/null || echo none)"
done
IFS='|' read -r id amount < <(hpsql impactlink_prod \
    "SELECT id, amount FROM public.donations TABLESAMPLE SYSTEM (1) LIMIT 1" 2>/dev/null)
served=""
[ -n "${id:-}" ] && served=$(hcurl -s --max-time 5 "$URL/api/v1/donations/$id" | jq -r '.amount // empty' 2>/dev/null)
same=0
[ -n "$served" ] && awk -v a="$served" -v b="$amount" 'BEGIN { exit !(a + 0 == b + 0) }' && same=1
obs api_serves_database "$same"
# Only v1.1.0's code returns a charity's Section 18A status (a charity drawn now).
IFS='|' read -r cid approved < <(hpsql impactlink_prod \
    "SELECT id, section18a_approved FROM public.charities ORDER BY random() LIMIT 1" 2>/dev/null)
flag=""
[ -n "${cid:-}" ] && flag=$(hcurl -s --max-time 5 "$URL/api/v1/charities/$cid" | jq -r '.section18a_approved | tostring' 2>/dev/null)
runs=0
[ -n "$flag" ] && [ "$flag" = "$([ "$approved" = t ] && echo true || echo false)" ] && runs=1
obs api_runs_v110_code "$runs"
exit 0
