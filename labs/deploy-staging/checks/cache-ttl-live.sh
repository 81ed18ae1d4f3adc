#!/bin/bash
# Probe: .env sets CACHE_TTL_CHARITIES once, to the change request's lifetime, and the API that
# answers through Nginx was started after .env last changed (ctime, which no one can set back), so
# the running process read that value.
set -uo pipefail
ENV_FILE=/home/impactlink/app/.env
# The process answering /api/v1/health through Nginx: when it started (ms since the epoch, from its
# own answer), accepted only if a node process in the host's process table (taken by the Docker
# engine, not by anything in the sandbox) has been running that long, and only if its clock is now.
api_start_ms() {
    local uptime ts now
    uptime=$(jq -r '.uptime // empty' <<<"$1" 2>/dev/null)
    [[ $uptime =~ ^[0-9.]+$ ]] || return 1
    awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 }
        END { exit !ok }' "$ACADEMY_RUN/ps" || return 1
    ts=$(jq -r '.timestamp | capture("^(?<s>[^.]+)(\\.(?<f>[0-9]+))?Z$")
        | (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") + "00" | .[0:3] | tonumber)' <<<"$1" 2>/dev/null)
    [[ $ts =~ ^[0-9]+$ ]] || return 1
    # A canned answer carries a stale (or invented) clock; the live API's is now.
    now=$(date +%s%3N)
    [ $((now - ts)) -le 5000 ] && [ $((ts - now)) -le 5000 ] || return 1
    jq -n --argjson ts "$ts" --argjson up "$uptime" '$ts - $up * 1000 | floor'
}

if [ -L "$ENV_FILE" ] || [ ! -f "$ENV_FILE" ]; then
    tamper "~/app/.env is not a regular file"
    exit 0
fi
obs env_ttl_lines "$(grep -c '^[[:space:]]*CACHE_TTL_CHARITIES[[:space:]]*=' "$ENV_FILE")"
value=$(sed -n 's/^[[:space:]]*CACHE_TTL_CHARITIES[[:space:]]*=[[:space:]]*//p' "$ENV_FILE" | tail -n 1 | tr -d '"'"'"' \r')
if [[ $value =~ ^[0-9]+$ ]] && [ $((value % 60)) = 0 ]; then
    obs env_ttl_minutes $((value / 60))
else
    obs env_ttl_minutes not-whole-minutes
fi
changed=$(stat -c %.3Z "$ENV_FILE" | tr -d .)
health=$(hcurl -s --max-time 5 https://impactlink.solovedhelpinghands.org.za/api/v1/health)
started=$(api_start_ms "$health")
obs api_status "$(jq -r '.status // "none"' <<<"$health" 2>/dev/null || echo none)"
after=0
[ -n "$started" ] && [ "$started" -ge "$changed" ] && after=1
obs api_started_after_env_change "$after"
exit 0
