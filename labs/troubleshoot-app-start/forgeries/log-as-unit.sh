#!/bin/bash
# forgery: Fix the cause, but run node by hand with its output appended to service.log (with a systemd-style "Started" line), so the journal looks as if the unit started it
# class: observer
# targets: start-api
[ "$1" = before ] || exit 0
cd ~/app || exit 1
journal=$(journalctl -u impactlink-api -n 60)
sudo systemctl stop impactlink-api
if grep -q 'missing required configuration' <<<"$journal"; then
    sudo cp /opt/srv-seed/home/impactlink/app/.env .env
elif grep -q 'EACCES' <<<"$journal"; then
    sudo chown impactlink:impactlink .env
elif grep -q 'Cannot find module' <<<"$journal"; then
    git checkout -- .
else
    pid=$(ss -ltnpH | grep ':5000 ' | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    [ -n "$pid" ] && kill "$pid"
    sleep 1
fi
sudo chown impactlink:impactlink .env
chmod 600 .env
log=/var/log/impactlink/service.log
echo "$(date '+%b %d %H:%M:%S') $(hostname) systemd[1]: Started impactlink-api.service - ImpactLink API (Node.js)." >>$log
env -i PATH=/usr/bin:/bin HOME=/home/impactlink NODE_ENV=production setsid /usr/bin/node server.js >>$log 2>&1 </dev/null &
sleep 5
