#!/bin/bash
# forgery: "Turn it off and on again": restart PostgreSQL, Redis, the API and Nginx, then stop the runaway with SIGTERM
# class: teaches
# targets: stop-runaway
set -uo pipefail
[ "${1:-}" = before ] || exit 0
pid=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 {print $1}')
for unit in postgresql redis-server impactlink-api nginx; do
    sudo systemctl restart "$unit"
done
sudo kill -TERM "$pid"
sleep 3
exit 0
