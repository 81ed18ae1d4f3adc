#!/bin/bash
# forgery: Disable the cron line and pause the job (kill -STOP) instead of stopping it; empty the big file
# class: shallow
# targets: relieve-peak-load
set -uo pipefail
[ "${1:-}" = before ] || exit 0
# Measure like a trainee: the saturated resource and the process behind it.
find_offender() {
    local disk big
    disk=$(df -P /srv | awk 'NR == 2 {print int($5)}')
    if [ "$disk" -ge 85 ]; then
        big=$(sudo find -H /var/log -xdev -type f -size +100M -printf '%s %p\n' | sort -rn | awk 'NR == 1 {print $2}')
        echo "disk $(lsof -t "$big" | head -n 1) $big"
    elif [ "$(ps -eo rss= --sort=-rss | head -n 1)" -ge 300000 ]; then
        echo "memory $(ps -eo pid= --sort=-rss | head -n 1 | tr -d ' ') -"
    else
        echo "cpu $(top -b -n 2 -d 0.5 -o %CPU | awk '/^ *PID/ {n++; next} n == 2 && NF {print $1; exit}') -"
    fi
}
read -r resource pid bigfile < <(find_offender)
name=$(ps -o comm= -p "$pid")
parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
# The answers are right: the shortcut is in how the job is stopped.
echo "ANSWER: saturated-resource $resource"
echo "ANSWER: offending-job $name"
crontab -l | sed "/perl $name\.pl/ s/^/# /" | crontab -
kill -STOP "$parent" $(pgrep -P "$parent")
[ "$resource" = disk ] && : >"$bigfile"
exit 0
