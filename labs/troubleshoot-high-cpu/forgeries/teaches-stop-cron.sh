#!/bin/bash
# forgery: Stop cron altogether so nothing is started again, and stop the runaway with SIGTERM
# class: teaches
# targets: stop-the-source
set -uo pipefail
if [ "${1:-}" = before ]; then
    pid=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 {print $1}')
    parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
    owner=$(ps -o user= -p "$pid" | tr -d ' ')
    script=$(ps -o args= -p "$parent" | grep -o '[^ ]*\.pl' | head -n 1)
    cwd=$(sudo crontab -u "$owner" -l | grep -v '^#' | grep -F "$script" | sed -n 's/.* cd \([^ ]*\) &&.*/\1/p')
    sudo systemctl stop cron
    sudo kill -TERM "$pid"
    echo "$cwd/$script" >/tmp/.path
    exit 0
fi
echo "ANSWER: culprit-script $(cat /tmp/.path)"
