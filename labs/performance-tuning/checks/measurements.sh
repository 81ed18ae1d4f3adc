#!/bin/bash
# Probe: the trainee's ab measurements, ~/perf/before.txt and ~/perf/after.txt (ab's own output),
# against what Nginx logged while ab ran. A run is a burst of ApacheBench requests for
# /api/v1/projects in the Nginx access log; a file counts only if a run has exactly its number of
# completed requests and its document length, and its requests per second fit the run's length in
# the log, and its document length is the size of the list as the probe receives it now (ab speaks
# HTTP/1.0, which Nginx does not compress). Before: every request reached the API. After: a later
# run, almost all answered from Nginx's cache (no upstream time), and faster.
set -uo pipefail
DIR=/home/impactlink/perf
URL=https://$ACADEMY_DOMAIN/api/v1/projects

# What the endpoint weighs now, uncompressed (a fresh query string, so never a cache hit).
plain=$(hcurl -s -o /dev/null -w '%{size_download}' "$URL?m=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')")
size_fits() { awk -v d="$1" -v p="$plain" 'BEGIN { print (p > 0 && d >= p * 0.95 && d <= p * 1.05) ? 1 : 0 }'; }

# ab's report: completed, failed, document length, requests per second, concurrency.
report() {
    local file=$DIR/$1
    if [ -L "$file" ] || [ ! -f "$file" ]; then echo "-"; return; fi
    awk -F: '
        /^Complete requests/ {c = $2 + 0} /^Failed requests/ {f = $2 + 0}
        /^Document Length/ {d = $2 + 0} /^Concurrency Level/ {k = $2 + 0}
        /^Requests per second/ {split($2, a, " "); r = a[1] + 0}
        /^Document Path/ {p = $2; gsub(/[ \t]/, "", p)}
        END { if (c > 0 && r > 0 && p ~ /^\/api\/v1\/projects$/) print c, f, d, r, k; else print "-" }' "$file"
}

# Runs of ApacheBench requests for the project list: start, end, count, most common body size,
# requests that reached the API (an upstream time) and requests answered by Nginx alone.
runs() {
    /usr/bin/zcat -f /var/log/nginx/access.log.1 /var/log/nginx/access.log 2>/dev/null | awk '
        BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = i }
        index($0, "\"ApacheBench/") && $7 ~ /^\/api\/v1\/projects($|\?)/ {
            split(substr($4, 2), t, /[\/:]/)
            ts = mktime(t[3] " " mon[t[2]] " " t[1] " " t[4] " " t[5] " " t[6])
            if (n == 0 || ts - last > 3) { if (n) flush(); n = 0; start = ts; delete sizes; up = 0; local = 0 }
            n++; last = ts; sizes[$10]++
            if ($NF ~ /^urt=[0-9]/) up++; else local++
        }
        function flush(   s, best) { best = ""; for (s in sizes) if (best == "" || sizes[s] > sizes[best]) best = s
            print start, last, n, best, up, local }
        END { if (n) flush() }'
}
all_runs=$(runs)

# The run a report describes: same count and document length; the first for before, the last for after.
match_run() {  # count doclen first|last
    awk -v c="$1" -v d="$2" -v which="$3" '$3 == c && $4 == d { hit = $0; if (which == "first") { print; exit } }
        END { if (which == "last" && hit != "") print hit }' <<<"$all_runs"
}
# Requests per second that fit the run's length in the log (whole seconds, so a second either side).
rps_fits() {  # rps count start end
    awk -v r="$1" -v n="$2" -v s="$3" -v e="$4" 'BEGIN { span = e - s
        low = n / (span + 1) * 0.6; ok = (r >= low)
        if (span >= 2 && r > n / (span - 1) * 1.25) ok = 0
        exit !ok }'
}

before_end=""
for which in before after; do
    read -r count failed doclen rps level <<<"$(report "$which.txt")"
    if [ "$count" = "-" ]; then
        obs "${which}_report" 0
        continue
    fi
    obs "${which}_report" "$([ "$count" -ge 100 ] && [ "${level:-0}" -ge 5 ] && echo 1 || echo 0)"
    pick=first; [ "$which" = after ] && pick=last
    run=$(match_run "$count" "$doclen" "$pick")
    if [ -z "$run" ]; then
        obs "${which}_run" 0
        continue
    fi
    read -r start end n size up local <<<"$run"
    fits=0
    rps_fits "$rps" "$n" "$start" "$end" && fits=1
    obs "${which}_run" "$fits"
    if [ "$which" = before ]; then
        before_end=$end before_rps=$rps
        obs before_uncached "$([ "$local" = 0 ] && echo 1 || echo 0)"
        obs before_size "$(size_fits "$doclen")"
    else
        obs after_later "$([ -n "$before_end" ] && [ "$start" -gt "$before_end" ] && echo 1 || echo 0)"
        obs after_size "$(size_fits "$doclen")"
        obs after_cached "$(awk -v l="$local" -v n="$n" 'BEGIN { print (n > 0 && l >= n * 0.9) ? 1 : 0 }')"
        obs after_faster "$(awk -v a="$rps" -v b="${before_rps:-0}" 'BEGIN { print (b > 0 && a > b) ? 1 : 0 }')"
    fi
done
exit 0
