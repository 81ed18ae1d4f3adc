#!/bin/bash
# The running API caches charity lists for the change request's lifetime (not only .env edited).
set -uo pipefail
: "${LAB_TTL_MINUTES:?}"
want=$((LAB_TTL_MINUTES * 60))
ENV_FILE=/home/impactlink/app/.env
DOMAIN=impactlink.solovedhelpinghands.org.za

lines=$(grep -c '^CACHE_TTL_CHARITIES=' "$ENV_FILE")
value=$(sed -n 's/^CACHE_TTL_CHARITIES=//p' "$ENV_FILE" | tail -n 1 | tr -d '"'"'"' \r')
if [ "$lines" != 1 ] || [ "$value" != "$want" ]; then
    echo "FAIL: ~/app/.env does not set CACHE_TTL_CHARITIES to the value the change request asks for (exactly one line)."
    echo "HINT: The ticket gives minutes; the setting is in seconds."
    echo "DETAIL: lines=$lines value=$value want=$want"
    exit 1
fi
export REDISCLI_AUTH
REDISCLI_AUTH=$(sed -n 's/^REDIS_PASSWORD=//p' "$ENV_FILE" | tail -n 1)
rcli() { redis-cli --no-auth-warning -h 127.0.0.1 "$@"; }
# Start from a cold list so the key read below is the one this request writes.
rcli --scan --pattern 'charities:list:health:*' | while read -r key; do rcli DEL "$key" >/dev/null; done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "https://$DOMAIN/api/v1/charities?category=health&limit=7")
if [ "$code" != 200 ]; then
    echo "FAIL: GET /api/v1/charities through Nginx answered $code."
    exit 1
fi
key=$(rcli --scan --pattern 'charities:list:health:*' | head -n 1)
ttl=$(rcli TTL "$key" 2>/dev/null)
if [ -z "$key" ] || ! [[ $ttl =~ ^[0-9]+$ ]]; then
    echo "FAIL: the API did not cache the charity list in Redis."
    exit 1
fi
if [ "$ttl" -gt "$want" ] || [ "$ttl" -lt $((want - 30)) ]; then
    echo "FAIL: the running API caches charity lists for $ttl s; the change request needs $want s."
    echo "HINT: The API reads .env only when it starts."
    exit 1
fi
echo "DETAIL: $key TTL $ttl (want $want)"
