#!/bin/bash
# monitoring-basics reference solution, as impactlink: the Day 4 practice, answered from the server.
set -eu   # no pipefail: "| head" would end a solution on SIGPIPE
L=/var/log/nginx

# 1. Yesterday's log: the 502s (by the status field) and the busiest client.
ls -l $L/
first=$(sudo zcat -f $L/access.log.1 | awk '$9 == 502' | head -n 1)
echo "first 502: $first"
echo "ANSWER: burst-start $(awk '{print substr($4, 14, 5)}' <<<"$first")"
echo "ANSWER: burst-count $(sudo zcat -f $L/access.log.1 | awk '$9 == 502' | wc -l)"
sudo zcat -f $L/access.log.1 | awk '{print $1}' | sort | uniq -c | sort -rn | head -n 3
echo "ANSWER: busiest-client $(sudo zcat -f $L/access.log.1 | awk '$1 != "127.0.0.1" {print $1}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')"

# 2. Memory: the largest resident set that is not one of the services.
ps -eo pid,user,rss,etime,comm --sort=-rss | head -n 8
top=$(ps -eo rss=,comm= --sort=-rss | awk '$2 !~ /^(postgres|node|redis-server|nginx|bash|sudo|ps)$/' | head -n 1)
echo "ANSWER: memory-job ${top##* }"
echo "ANSWER: memory-job-mb $(awk '{printf "%d", $1 / 1024}' <<<"$top")"

# 3. The health check, and its two warnings.
report=$(/home/impactlink/scripts/health-check.sh || true)
echo "$report"
echo "ANSWER: cert-days $(sed -n 's/.*certificate expires in \([0-9]*\) days.*/\1/p' <<<"$report")"
echo "ANSWER: backup-age $(sed -n 's/.*newest database backup is \([0-9]*\) h old.*/\1/p' <<<"$report")"

# 4. The dashboard: start Netdata and watch /srv's inodes until a batch comes and goes.
sudo systemctl start netdata
for _ in $(seq 40); do curl -s -o /dev/null http://127.0.0.1:19999/api/v1/info && break; sleep 0.5; done
low="" high=""
for _ in $(seq 150); do
    used=$(curl -s "http://127.0.0.1:19999/api/v1/data?chart=disk_inodes._srv&after=-1&points=1&format=csv&options=absolute" |
        awk -F, 'NR == 2 {printf "%d", $3}')
    if [ -n "$used" ] && [ "$used" -gt 0 ]; then
        [ -z "$low" ] || [ "$used" -lt "$low" ] && low=$used
        [ -z "$high" ] || [ "$used" -gt "$high" ] && high=$used
    fi
    [ -n "$low" ] && [ $((high - low)) -gt 500 ] && [ "$used" -lt $((high - 500)) ] && break
    sleep 1
done
echo "inodes used on /srv: low $low, high $high"
# The jump is the batch plus the directory that holds it.
echo "ANSWER: files-created $((high - low - 1))"
