#!/bin/bash
# forgery: Get node serving without the unit: settings typed on the command line, as root when .env is unreadable, or by hand after clearing the way
# class: teaches
# targets: start-api
[ "$1" = before ] || exit 0
cd ~/app || exit 1
journal=$(journalctl -u impactlink-api -n 60)
# The unit (which may still be retrying) out of the way: from now on node runs by hand.
sudo systemctl stop impactlink-api
if grep -q 'missing required configuration' <<<"$journal"; then
    missing=$(grep 'missing required configuration' <<<"$journal" | tail -n 1 | grep -o '"missing":\["[A-Z_]*' | cut -d'"' -f4)
    value=$(sudo sed -n "s/^$missing=//p" /opt/srv-seed/home/impactlink/app/.env)
    env "$missing=$value" setsid nohup node server.js >/dev/null 2>&1 </dev/null &
elif grep -q 'EACCES' <<<"$journal"; then
    sudo setsid nohup node server.js >/dev/null 2>&1 </dev/null &
elif grep -q 'Cannot find module' <<<"$journal"; then
    git checkout -- .
    setsid nohup node server.js >/dev/null 2>&1 </dev/null &
else
    pid=$(ss -ltnpH | grep ':5000 ' | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    [ -n "$pid" ] && kill "$pid"
    sleep 1
    setsid nohup node server.js >/dev/null 2>&1 </dev/null &
fi
sleep 4
