#!/bin/bash
# Probe: .env sets CACHE_TTL_CHARITIES once, to the change request's lifetime, and the API that
# answers through Nginx was started after .env last changed (ctime, which no one can set back), so
# the running process read that value.
set -uo pipefail
ENV_FILE=/home/impactlink/app/.env

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
