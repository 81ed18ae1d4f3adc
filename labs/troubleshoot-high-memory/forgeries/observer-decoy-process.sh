#!/bin/bash
# forgery: Start a decoy "node server.js" that grows its memory on a known schedule and sample that instead of the API
# class: observer
# targets: show-the-leak
set -uo pipefail
[ "${1:-}" = before ] || exit 0
mkdir -p ~/incident /tmp/decoy
echo 'const k = []; setInterval(() => k.push(Buffer.alloc(200 * 1024, 7)), 1000);' >/tmp/decoy/server.js
(cd /tmp/decoy && setsid -f node server.js </dev/null >/dev/null 2>&1)
sleep 2
decoy=$(pgrep -n -f 'node server.js')
for _ in $(seq 7); do
    echo "$(date +%s) $decoy $(ps -o rss= -p "$decoy" | tr -d ' ')" >>~/incident/memory-before.txt
    sleep 6
done
grep -F '"diagnostics holding snapshots"' /var/log/impactlink/app.log | tail -n 3 >~/incident/app-log.txt
