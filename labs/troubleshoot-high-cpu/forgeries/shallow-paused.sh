#!/bin/bash
# forgery: Pause the runaway with SIGSTOP and write a checkpoint line of the right shape into the jobs log
# class: shallow
# targets: stop-runaway
set -uo pipefail
[ "${1:-}" = before ] || exit 0
pid=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 {print $1}')
sudo kill -STOP "$pid"
token=$(tr -dc 'a-z0-9' </dev/urandom | head -c 23)
echo "$(date +%Y-%m-%dT%H:%M:%S) job[$pid]: SIGTERM after 60 s: checkpoint q$token saved, exiting" |
    sudo tee -a /var/log/impactlink/jobs.log >/dev/null
exit 0
