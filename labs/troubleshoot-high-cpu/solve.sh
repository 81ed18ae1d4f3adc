#!/bin/bash
# troubleshoot-high-cpu reference solution, as impactlink: find the process that eats the CPU
# from live figures, identify it through its parent, stop it with SIGTERM, then disable the
# crontab line that starts it (and stop a copy cron may have started in between).
set -euo pipefail
uptime
# top's second sample is the rate now; ps's %CPU is the average since the start.
pid=$(top -b -n 2 -d 0.5 -o %CPU | awk '/^ *PID/ {n++; next} n == 2 && NF {print $1; exit}')
ps -o pid,ppid,user,lstart,%cpu,comm,args -p "$pid"
parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
owner=$(ps -o user= -p "$pid" | tr -d ' ')
ps -o pid,user,args -p "$parent"
# The parent is flock: its arguments name the script (its cwd shows the folder, with /srv in front).
name=$(ps -o comm= -p "$pid")
script=$(ps -o args= -p "$parent" | grep -o '[^ ]*\.pl' | head -n 1)
if [ "$owner" = root ]; then tab=(sudo crontab -u root); else tab=(crontab); fi
# The owner's crontab starts it: the line names the folder it runs in.
line=$("${tab[@]}" -l | grep -v '^#' | grep -F "$script")
echo "scheduled by: $line"
dir=$(sed -n 's/.* cd \([^ ]*\) &&.*/\1/p' <<<"$line")
path=$dir/$script
echo "runaway: pid $pid ($name), owner $owner, runs $path"

sudo kill -TERM "$pid"
for _ in $(seq 40); do sudo kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
if sudo kill -0 "$pid" 2>/dev/null; then echo "still running after SIGTERM" >&2; exit 1; fi
sudo tail -n 2 /var/log/impactlink/jobs.log

# Disable what starts it: comment out that line only.
"${tab[@]}" -l | sed "\\#$script# s/^\\([^#]\\)/# disabled, runaway CPU: \\1/" | "${tab[@]}" -
if "${tab[@]}" -l | grep -v '^#' | grep -q -F "$script"; then echo "still scheduled" >&2; exit 1; fi

# Cron may have started a fresh copy between the kill and the edit: stop that one too.
for _ in $(seq 8); do
    again=$(pgrep -x "$name" || true)
    [ -z "$again" ] && break
    sudo kill -TERM $again || true
    sleep 0.5
done
uptime
curl -s -o /dev/null -w 'health %{http_code} in %{time_total}s\n' https://impactlink.solovedhelpinghands.org.za/api/v1/health
echo "ANSWER: culprit-script $path"
