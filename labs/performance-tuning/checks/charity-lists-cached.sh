#!/bin/bash
# Probe: the charity lists stay in Redis long enough to be worth caching. A list nobody asked for
# before (a fresh province) is a MISS, and the same list asked again a few seconds later must be a
# HIT from the API's Redis cache; .env gives the lists at least an hour, and the API answering
# through Nginx was started after .env last changed.
set -uo pipefail
URL=https://$ACADEMY_DOMAIN
ENV_FILE=/home/impactlink/app/.env
# The setting the API reads (dotenv: the last line of a key wins).
ttl=$(sed -n 's/^[[:space:]]*CACHE_TTL_CHARITIES[[:space:]]*=[[:space:]]*//p' "$ENV_FILE" 2>/dev/null | tail -n 1 | tr -d "\"'\r ")
[[ $ttl =~ ^[0-9]+$ ]] || ttl=0
obs ttl_setting "$ttl"

# The process answering health through Nginx started after .env last changed: its uptime must
# match a node process in the engine's process table.
health=$(hcurl -s --max-time 5 "$URL/api/v1/health")
uptime=$(jq -r '.uptime // empty' <<<"$health" 2>/dev/null)
restarted=0
if [[ $uptime =~ ^[0-9.]+$ ]] && awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 } END { exit !ok }' "$ACADEMY_RUN/ps"; then
    started=$(awk -v up="$uptime" -v now="$(date +%s)" 'BEGIN { printf "%d", now - up }')
    changed=$(stat -c %Z "$ENV_FILE" 2>/dev/null)
    [ -n "$changed" ] && [ "$started" -ge "$((changed - 1))" ] && restarted=1
fi
obs api_restarted "$restarted"

list="$URL/api/v1/charities?province=probe-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
xcache() { hcurl -s -D - -o /dev/null "$list" | grep -i '^x-cache:' | tr -d '\r' | awk '{print toupper($2)}'; }
cached=0
# Waiting only makes sense once the setting and the restart are right (the rules before say so).
if [ "$ttl" -ge 3600 ] && [ "$restarted" = 1 ] && [ "$(xcache)" = MISS ]; then
    sleep 3.5
    [ "$(xcache)" = HIT ] && cached=1
fi
obs list_cached "$cached"
exit 0
