#!/bin/bash
# forgery: Stop the runaway with kill -9 instead of SIGTERM (and disable its cron line properly)
# class: teaches
# targets: stop-runaway
set -uo pipefail
[ "${1:-}" = before ] || exit 0
pid=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 {print $1}')
name=$(ps -o comm= -p "$pid")
parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
script=$(ps -o args= -p "$parent" | grep -o '[^ ]*\.pl' | head -n 1)
for user in impactlink root; do
    sudo crontab -u "$user" -l 2>/dev/null | sed "\\#$script# s/^/# /" | sudo crontab -u "$user" -
done
sudo kill -KILL "$pid"
sleep 1
sudo pkill -KILL -x "$name"
exit 0
