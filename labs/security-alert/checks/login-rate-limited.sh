#!/bin/bash
# Nginx limits the login path (limit_req in a location that still proxies to the API), a burst
# is refused, and the rest of the API is not throttled by it.
set -uo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
config=$(nginx -T 2>/dev/null)
if [ -z "$config" ]; then
    echo "FAIL: nginx -t reports an invalid configuration."
    exit 1
fi
if ! grep -Eq '^[[:space:]]*limit_req_zone[[:space:]]' <<<"$config"; then
    echo "FAIL: no limit_req_zone is defined in the Nginx configuration."
    echo "HINT: limit_req_zone belongs in the http context (the top of the site file is inside it)."
    exit 1
fi
blocks=$(awk '/^[[:space:]]*location[^{]*auth[^{]*\{/ {on = 1; depth = 0}
              on {print; depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}"); if (depth <= 0) {on = 0; print "--"}}' <<<"$config")
if ! awk 'BEGIN {RS = "--\n"} /limit_req[[:space:]]+zone=/ && /proxy_pass[[:space:]]+http:\/\/impactlink_api/ {found = 1} END {exit !found}' <<<"$blocks"; then
    echo "FAIL: no location for the login path applies limit_req and passes the request on to the API."
    echo "HINT: location = /api/v1/auth/login { limit_req zone=...; proxy_pass http://impactlink_api; ... }"
    exit 1
fi
# One curl, one connection: 15 attempts in quick succession, as a script would make them.
urls=()
for _ in $(seq 15); do urls+=(-o /dev/null "https://$DOMAIN/api/v1/auth/login"); done
codes=$(curl -s -w '%{http_code}\n' --max-time 10 -X POST -H 'User-Agent: academy-check' "${urls[@]}" |
    sort | uniq -c | xargs)
if ! grep -Eq '(429|503)' <<<"$codes"; then
    echo "FAIL: 15 quick login attempts were all let through."
    echo "DETAIL: $codes"
    exit 1
fi
for path in /api/v1/health /api/v1/charities; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "https://$DOMAIN$path")
    if [ "$code" != 200 ]; then
        echo "FAIL: right after the login burst $path answers $code: only the login path may be limited."
        exit 1
    fi
done
echo "DETAIL: login burst answered $codes"
