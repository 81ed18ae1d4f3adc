#!/bin/bash
# troubleshoot-high-memory reference solution, as impactlink: sample the API's RSS until the trend
# is clear, keep the log lines and figures, find the diagnostics setting that keeps every snapshot,
# set it back to the documented value, restart, and sample the new process.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
mkdir -p ~/incident
free -m
ps -eo pid,user,rss,%mem,etime,cmd --sort=-rss | head -5
pid=$(pgrep -o -f 'node server.js')
# A freshly started Node.js gives back some start-up memory once in its first half minute; the
# checks take the median growth between consecutive samples, so one such drop does not matter.
sleep 10
sample() {  # file pid count interval
    for _ in $(seq "$3"); do
        echo "$(date +%s) $2 $(ps -o rss= -p "$2" | tr -d ' ')" | tee -a "$1"
        sleep "$4"
    done
}
sample ~/incident/memory-before.txt "$pid" 7 5.5

# The evidence: what the log says holds the memory (every 15 s), the release, the process.
grep -F '"diagnostics holding snapshots"' /var/log/impactlink/app.log | tail -n 5 >~/incident/app-log.txt
cat ~/incident/app-log.txt
{ git -C ~/app describe --tags; ps -o pid,etime,rss,cmd -p "$pid"; free -m; } >~/incident/figures.txt

# The cause: v1.0.1's diagnostics settings, one of them left in a state that keeps everything.
cd ~/app
head -n 8 CHANGELOG.md
grep -A4 'Support diagnostics' .env.example
cp -p .env ".env.bak-$(date +%Y%m%d%H%M%S)"
for setting in DEBUG_CAPTURE RESPONSE_MEMO_TTL METRICS_HISTORY; do
    documented=$(sed -n "s/^$setting=//p" .env.example | tail -n 1)
    current=$(sed -n "s/^$setting=//p" .env | tail -n 1)
    if [ "$current" != "$documented" ]; then
        echo "$setting is '$current', documented '$documented': setting it back"
        echo "ANSWER: leak-setting $setting=$current"
        sed -i "s/^$setting=.*/$setting=$documented/" .env
    fi
done
sudo systemctl restart impactlink-api
for _ in $(seq 40); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq -c .

# Monitor after the restart: let it settle, then the same sampling of the new PID.
sleep 45
pid=$(pgrep -o -f 'node server.js')
sample ~/incident/memory-after.txt "$pid" 7 5.5
