#!/bin/bash
# Probe, task cache: redis-server runs as the redis user (process table from the Docker engine),
# the API reports its cache ok, and a charity written now comes back from the database on the
# first request and from the cache on the second, after the row was renamed under it. The API
# listens on loopback only, so this goes through Nginx (certificate not verified here: that is
# the certificate task's), and so passes once requests reach the API again.
set -uo pipefail
API=https://$ACADEMY_DOMAIN
awk 'NR > 1 && $7 == "redis-server" && $2 == "redis" { ok = 1 } END { print "OBS redis_running " (ok ? 1 : 0) }' "$ACADEMY_RUN/ps"
health=$(hcurl -k -s --max-time 5 "$API/api/v1/health")
obs api_cache "$(jq -r '.cache // "none"' <<<"$health" 2>/dev/null || echo none)"

nonce() { head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
province="probe-$(nonce)" first="Probe $(nonce)" second="Probe $(nonce)" reg="PRB-$(nonce)"
served=0
id=$(hpsql impactlink_prod "INSERT INTO public.charities (name, category, registration_number, verification_status, province)
    VALUES ('$first', 'other', '$reg', 'verified', '$province') RETURNING id" 2>/dev/null)
if [ -n "$id" ]; then
    list="$API/api/v1/charities?province=$province&limit=5"
    one=$(hcurl -k -s --max-time 5 -D - "$list" 2>/dev/null)
    hpsql impactlink_prod "UPDATE public.charities SET name = '$second' WHERE id = '$id'" >/dev/null 2>&1
    two=$(hcurl -k -s --max-time 5 -D - "$list" 2>/dev/null)
    hpsql impactlink_prod "DELETE FROM public.charities WHERE id = '$id'" >/dev/null 2>&1
    if grep -qi '^x-cache: *MISS' <<<"$one" && [ "$(sed -n '/^{/p' <<<"$one" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ] &&
        grep -qi '^x-cache: *HIT' <<<"$two" && [ "$(sed -n '/^{/p' <<<"$two" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ]; then
        served=1
    fi
fi
obs cache_serves "$served"
exit 0
