#!/bin/bash
# Probe: Nginx compresses the API's JSON. A request with a fresh query string for the charity list
# and for the project list, with Accept-Encoding: gzip, must come back gzip-encoded, decompress to
# the list the database holds, and have reached the API (its access log has the query string).
set -uo pipefail
URL=https://$ACADEMY_DOMAIN
API_LOG=/var/log/impactlink/access.log
tmp=$(mktemp -d)
nonce() { head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

verified=$(hpsql impactlink_prod "SELECT count(*) FROM public.charities WHERE verification_status = 'verified'")
projects=$(hpsql impactlink_prod "SELECT count(*) FROM public.projects")
for what in charities projects; do
    n=$(nonce)
    hcurl -s -D "$tmp/h" -o "$tmp/b" -H 'Accept-Encoding: gzip' "$URL/api/v1/$what?z=$n"
    gz=0 real=0
    grep -qi '^content-encoding: *gzip' "$tmp/h" && /usr/bin/gzip -t "$tmp/b" 2>/dev/null && gz=1
    total=$( { /usr/bin/gzip -dc "$tmp/b" 2>/dev/null || cat "$tmp/b"; } | jq -r '.pagination.total // empty' 2>/dev/null)
    want=$verified; [ $what = projects ] && want=$projects
    sleep 0.3
    [ -n "$total" ] && [ "$total" = "$want" ] && grep -q "\"path\":\"/api/v1/$what?z=$n\"" "$API_LOG" && real=1
    obs "${what}_gzip" "$gz"
    obs "${what}_real" "$real"
done
rm -rf "$tmp"
exit 0
