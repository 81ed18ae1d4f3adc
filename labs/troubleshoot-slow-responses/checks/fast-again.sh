#!/bin/bash
# Probe: eight pages of charities requested at once through Nginx (HTTP/2, from the probe's own
# address, so no limit shared with the server's own traffic applies) all come back 200 within four
# seconds each, and the whole burst takes well under the seconds a throttle would add.
set -uo pipefail
URL=https://$ACADEMY_DOMAIN/api/v1/charities
args=()
for page in 1 2 3 4 5 6 7 8; do args+=(-o /dev/null -w '%{http_code}\n' "$URL?page=$page&limit=20"); done
start=$(date +%s%3N)
codes=$(hcurl -s --http2 --parallel --parallel-immediate --parallel-max 8 --max-time 4 "${args[@]}" 2>/dev/null)
end=$(date +%s%3N)
obs ok_count "$(grep -c '^200$' <<<"$codes")"
obs burst_ms $((end - start))
obs health_code "$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")"
exit 0
