#!/bin/bash
# Probe: ~/incident/memory-after.txt holds samples ("EPOCH PID RSS_KB") of the API running now,
# all taken since it started: six or more over 30 s or more, ending where its real memory is now
# (engine's process table), and flat: growing at well under the session's leak rate (under 70 %:
# a young Node.js serving traffic still creeps a little; the fix itself is checked in .env).
set -uo pipefail
PS=$ACADEMY_RUN/ps
FILE=/home/impactlink/incident/memory-after.txt
now=$(date +%s)
read -r api_pid api_age api_rss < <(awk 'NR > 1 && $7 == "node" && / server\.js/ {print $1, $5, $4}' "$PS" | sort -k2,2nr | head -n 1)
api_start=$((now - ${api_age:-0}))

read -r n span pids ordered pid b predicted first_rss last_ts first_ts < <(
    awk '$1 ~ /^[0-9]+$/ && length($1) == 10 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {
            n++; t[n] = $1; r[n] = $3; if (!($2 in seen)) { seen[$2] = 1; pids++; pid = $2 }
        }
        END {
            if (n < 2) { print n + 0, 0, pids + 0, 0, "-", 0, 0, 0, 0, 0; exit }
            ordered = 1
            for (i = 2; i <= n; i++) if (t[i] <= t[i - 1]) ordered = 0
            if (!ordered) { print n, t[n] - t[1], pids, 0, pid, 0, 0, r[1], t[n], t[1]; exit }
            # The median of the slopes between consecutive samples (KB/s): one garbage collection
            # that gives memory back between two samples does not bend it.
            for (i = 2; i <= n; i++) {
                s = (r[i] - r[i - 1]) / (t[i] - t[i - 1])
                for (j = i - 1; j > 1 && m[j - 1] > s; j--) m[j] = m[j - 1]
                m[j] = s
            }
            k = n - 1
            b = (k % 2) ? m[(k + 1) / 2] : (m[k / 2] + m[k / 2 + 1]) / 2
            printf "%d %d %d %d %s %.2f %.0f %d %d %d\n", n, t[n] - t[1], pids, ordered, pid, b, r[n] + b * (now - t[n]), r[1], t[n], t[1]
        }' now="$now" "$FILE" 2>/dev/null)
obs samples "${n:-0}"
obs span_s "${span:-0}"

matches=0
if [ "${pids:-0}" = 1 ] && [ "${ordered:-0}" = 1 ] && [ "$pid" = "${api_pid:-}" ] &&
    [ "${first_ts:-0}" -ge $((api_start - 2)) ] && [ "${last_ts:-0}" -le $((now + 2)) ]; then
    matches=1
fi
obs matches_api "$matches"
fits=0 flat=0
if [ "$matches" = 1 ]; then
    fits=$(awk -v p="$predicted" -v rss="${api_rss:-0}" 'BEGIN { d = p - rss; if (d < 0) d = -d; tol = rss * 0.1; if (tol < 8192) tol = 8192; print (d <= tol) ? 1 : 0 }')
    flat=$(awk -v b="$b" -v rate="${LAB_RATE:-0}" 'BEGIN { print (rate > 0 && b <= 0.7 * rate) ? 1 : 0 }')
fi
obs fits_now "$fits"
obs flat "$flat"
# For the coordinator: what the samples said against what the process shows now.
echo "DETAIL: samples' median growth ${b:-?} KB/s; predicted now ${predicted:-?} KB, the API (PID ${api_pid:-none}) holds ${api_rss:-?} KB"
exit 0
