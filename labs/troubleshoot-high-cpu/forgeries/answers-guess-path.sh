#!/bin/bash
# forgery: Disable the unknown cron line properly, but type the script's path from the usual folders and job names instead of reading it
# class: answers
# targets: stop-the-source
set -uo pipefail
if [ "${1:-}" = before ]; then
    pid=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 {print $1}')
    for user in impactlink root; do
        sudo crontab -u "$user" -l 2>/dev/null | sed '/flock -n/ s/^/# /' | sudo crontab -u "$user" -
    done
    sudo kill -TERM "$pid"
    exit 0
fi
echo "ANSWER: culprit-script /home/impactlink/reports/donor-totals.pl"
echo "ANSWER: culprit-script /root/bench/stats-rollup.pl"
echo "ANSWER: culprit-script /home/impactlink/tools/search-reindex.pl"
