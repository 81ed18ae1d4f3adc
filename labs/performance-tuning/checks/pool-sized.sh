#!/bin/bash
# Probe: the API's database pool is sized for concurrent requests again. .env's DB_POOL_MAX (the
# last line wins) is within what PostgreSQL can give the API, the API answering through Nginx
# started after .env last changed, and a burst of twelve concurrent charity pages makes the
# running API open more database connections than a starved pool could.
set -uo pipefail
URL=https://$ACADEMY_DOMAIN
ENV_FILE=/home/impactlink/app/.env
pool=$(sed -n 's/^[[:space:]]*DB_POOL_MAX[[:space:]]*=[[:space:]]*//p' "$ENV_FILE" 2>/dev/null | tail -n 1 | tr -d "\"'\r ")
[[ $pool =~ ^[0-9]+$ ]] || pool=0
obs pool_setting "$pool"

health=$(hcurl -s --max-time 5 "$URL/api/v1/health")
uptime=$(jq -r '.uptime // empty' <<<"$health" 2>/dev/null)
restarted=0 started=0
if [[ $uptime =~ ^[0-9.]+$ ]] && awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 } END { exit !ok }' "$ACADEMY_RUN/ps"; then
    started=$(awk -v up="$uptime" -v now="$(date +%s)" 'BEGIN { printf "%d", now - up }')
    changed=$(stat -c %Z "$ENV_FILE" 2>/dev/null)
    [ -n "$changed" ] && [ "$started" -ge "$((changed - 1))" ] && restarted=1
fi
obs api_restarted "$restarted"

urls=()
for id in $(hpsql impactlink_prod "SELECT id FROM public.charities ORDER BY random() LIMIT 12"); do
    urls+=("$URL/api/v1/charities/$id")
done
hcurl -s --parallel --parallel-immediate --parallel-max 12 -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
    -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null "${urls[@]}" 2>/dev/null
# Connections the API opened since it started (idle ones stay 30 s in its pool).
conns=$(hpsql impactlink_prod "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'impactlink-api'
    AND backend_start >= to_timestamp($started) - interval '2 seconds'")
obs pool_connections "${conns:-0}"
exit 0
