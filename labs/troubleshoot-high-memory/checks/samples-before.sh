#!/bin/bash
# Probe: ~/incident/memory-before.txt holds the trainee's samples of the leaking API (lines
# "EPOCH PID RSS_KB"): six or more of one PID over 30 s or more, taken while that PID was the API
# (the live one, from the engine's process table, or one that was replaced after the last
# sample), growing at the rate the session's leak really has (LAB_RATE, never shown) and, for the
# live process, ending where its real memory is now. Also: log lines about the snapshots, copied
# verbatim from app.log into ~/incident/.
set -uo pipefail
PS=$ACADEMY_RUN/ps
DIR=/home/impactlink/incident
now=$(date +%s)

# The API: node running server.js, the oldest if several.
read -r api_pid api_age api_rss < <(awk 'NR > 1 && $7 == "node" && / server\.js/ {print $1, $5, $4}' "$PS" | sort -k2,2nr | head -n 1)
api_start=$((now - ${api_age:-0}))

# Valid lines: epoch seconds (10 digits), PID, RSS in KB.
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
        }' now="$now" "$DIR/memory-before.txt" 2>/dev/null)
obs samples "${n:-0}"
obs span_s "${span:-0}"

matches=0
if [ "${pids:-0}" = 1 ] && [ "${ordered:-0}" = 1 ] && [ "${last_ts:-0}" -le $((now + 2)) ]; then
    if [ "$pid" = "${api_pid:-}" ]; then
        # The live API: every sample since it started.
        [ "$first_ts" -ge $((api_start - 2)) ] && matches=1
    else
        # An API process replaced since: every sample before the live one started, none ancient.
        [ "$last_ts" -le $((api_start + 2)) ] && [ "$first_ts" -ge $((now - 7200)) ] && matches=1
    fi
fi
obs matches_api "$matches"

growth=0
rate=${LAB_RATE:-0}
if [ "$matches" = 1 ] && [ "$rate" -gt 0 ] && [ "${first_rss:-0}" -ge 30000 ]; then
    growth=$(awk -v b="$b" -v rate="$rate" -v live="$([ "$pid" = "${api_pid:-}" ] && echo 1 || echo 0)" \
        -v predicted="$predicted" -v rss="${api_rss:-0}" 'BEGIN {
            ok = (b >= 0.7 * rate && b <= 1.35 * rate)
            if (ok && live) { d = predicted - rss; if (d < 0) d = -d; tol = rss * 0.1; if (tol < 10240) tol = 10240; ok = (d <= tol) }
            print ok ? 1 : 0 }')
fi
obs growth_matches "$growth"

# Log lines kept as evidence: lines of ~/incident/* that app.log really holds.
evidence=0
if [ -d "$DIR" ]; then
    evidence=$(cat "$DIR"/* 2>/dev/null | grep -F '"diagnostics holding snapshots"' | sort -u |
        grep -cxF -f <(grep -F '"diagnostics holding snapshots"' /var/log/impactlink/app.log 2>/dev/null) 2>/dev/null)
fi
obs log_evidence "${evidence:-0}"
# For the coordinator: what the samples said against what the process shows now.
echo "DETAIL: samples' median growth ${b:-?} KB/s; predicted now ${predicted:-?} KB, the API (PID ${api_pid:-none}) holds ${api_rss:-?} KB"
exit 0
