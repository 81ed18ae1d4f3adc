#!/bin/bash
# peak-load reference solution, as the impactlink user: measure, name the bottleneck and its
# process, then stop it for good and check the server recovered.
set -euo pipefail
~/scripts/health-check.sh || true
uptime
df -h /srv /var/log/
ps -eo pid,user,comm,%cpu,rss --sort=-%cpu | head -n 6
ps -eo pid,user,comm,%cpu,rss --sort=-rss | head -n 6

disk_pct=$(df -P /var/log/ | awk 'NR == 2 {print int($5)}')
top_rss=$(ps -eo pid=,rss= --sort=-rss | head -n 1)
if [ "$disk_pct" -ge 85 ]; then
    resource=disk
    big=$(sudo find -H /var/log /var/tmp /home/impactlink -xdev -type f -size +100M -printf '%s %p\n' | sort -rn | awk 'NR == 1 {print $2}')
    echo "largest file: $big"
    pid=$(lsof -t "$big" | head -n 1)
elif [ "$(awk '{print int($2 / 1024)}' <<<"$top_rss")" -ge 200 ]; then
    resource=memory
    pid=$(awk '{print $1}' <<<"$top_rss")
else
    resource=cpu
    # top's second sample is the current rate, not the average since start.
    pid=$(top -b -n 2 -d 0.5 -o %CPU | awk '/^ *PID/ {n++; next} n == 2 && NF {print $1; exit}')
fi
name=$(ps -o comm= -p "$pid")
echo "saturated: $resource, by $name (pid $pid): $(tr '\0' ' ' </proc/"$pid"/cmdline)"
echo "ANSWER: saturated-resource $resource"
echo "ANSWER: offender-pid $pid"

# Who starts it? cron, every minute: disable that first, or it comes back.
crontab -l | grep -n "$name" || true
crontab -l | sed "/$name/ s/^\([^#]\)/# disabled during peak load: \1/" | crontab -
kill "$pid"
for _ in $(seq 20); do pgrep -x "$name" >/dev/null || break; sleep 0.25; done
! pgrep -x "$name"
if [ "$resource" = disk ]; then
    # Stopped first, so deleting the file really frees the space.
    rm -f "$big"
    df -h /var/log/
fi
curl -s -o /dev/null -w 'health %{http_code} in %{time_total}s\n' https://impactlink.solovedhelpinghands.org.za/api/v1/health
