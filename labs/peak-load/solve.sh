#!/bin/bash
# peak-load reference solution, as the impactlink user: measure, name the saturated resource and
# the job behind it, then stop that job at the source (its cron line) and check recovery.
set -euo pipefail
~/scripts/health-check.sh || true
uptime
df -h /srv /var/log/
ps -eo pid,ppid,user,comm,%cpu,rss --sort=-%cpu | head -n 6
ps -eo pid,ppid,user,comm,%cpu,rss --sort=-rss | head -n 6

disk_pct=$(df -P /var/log/ | awk 'NR == 2 {print int($5)}')
mem_pct=$({ ~/scripts/health-check.sh || true; } | awk '/\] memory / {for (i = 1; i <= NF; i++) if ($i ~ /%$/) {print int($i); exit}}')
if [ "$disk_pct" -ge 85 ]; then
    resource=disk
    big=$(sudo find -H /var/log /var/tmp /home/impactlink -xdev -type f -size +100M -printf '%s %p\n' | sort -rn | awk 'NR == 1 {print $2}')
    echo "largest file: $big"
    # As the job's owner: root in this sandbox may not look into other users' open files.
    pid=$(lsof -t "$big" | head -n 1)
elif [ "${mem_pct:-0}" -ge 85 ]; then
    resource=memory
    pid=$(ps -eo pid= --sort=-rss | head -n 1 | tr -d ' ')
else
    resource=cpu
    # top's second sample is the current rate, not the average since start.
    pid=$(top -b -n 2 -d 0.5 -o %CPU | awk '/^ *PID/ {n++; next} n == 2 && NF {print $1; exit}')
fi
name=$(ps -o comm= -p "$pid")
echo "saturated: $resource, by $name (pid $pid): $(ps -o args= -p "$pid")"
echo "ANSWER: saturated-resource $resource"
echo "ANSWER: offending-job $name"

# Who starts it? Its parent is the job's supervisor, and cron starts that every minute:
# disable the job's cron line first, or it comes back.
ps -o pid,ppid,user,lstart,args -p "$pid"
parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
ps -o pid,ppid,user,lstart,args -p "$parent"
crontab -l | grep -n "perl $name.pl"
crontab -l | sed "/perl $name\.pl/ s/^\([^#]\)/# disabled during the campaign peak: \1/" | crontab -
crontab -l | grep -n "$name"
# Stopping the supervisor stops its workers (it would restart a worker killed alone).
kill "$parent"
for _ in $(seq 40); do pgrep -x "$name" >/dev/null || break; sleep 0.25; done
! pgrep -x "$name"
if [ "$resource" = disk ]; then
    # Stopped first, so deleting the file really frees the space.
    rm -f "$big"
    df -h /var/log/
fi
~/scripts/health-check.sh || true
curl -s -o /dev/null -w 'health %{http_code} in %{time_total}s\n' https://impactlink.solovedhelpinghands.org.za/api/v1/health
