#!/bin/bash
# Probe: the five units of the server card run (from the host's process table, taken by the
# Docker engine), and /api/v1/health answers 200 through Nginx.
set -uo pipefail
PS_TABLE=$ACADEMY_RUN/ps
has() { awk -v comm="$1" -v pat="$2" 'NR > 1 && $7 == comm && $0 ~ pat { found = 1 } END { print found ? 1 : 0 }' "$PS_TABLE"; }
obs postgresql "$(has postgres ' -D /var/lib/postgresql/15/main')"
obs redis "$(has redis-server '127\.0\.0\.1:6379')"
obs api "$(has node ' server\.js')"
obs nginx "$(has nginx 'master process')"
obs cron "$(has cron ' cron( |$)')"
obs health "$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")"
exit 0
