#!/bin/bash
# troubleshoot-slow-responses reference solution, as impactlink: measure, rule out the database
# (top queries) and the cache (hit ratio), see from Nginx's own timings that Nginx adds the time,
# find the throttle by comparing the site with the server's pristine copy, remove it, reload,
# measure again.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
SITE=/etc/nginx/sites-available/impactlink
timing() {
    for page in 1 2 3; do
        curl -s -o /dev/null --max-time 15 -w "%{http_code} start %{time_starttransfer}s total %{time_total}s\n" \
            "https://$DOMAIN/api/v1/charities?page=$page"
    done
    curl -s -o /dev/null -w "health %{http_code} total %{time_total}s\n" "https://$DOMAIN/api/v1/health"
}
echo "== before"; timing

echo "== database: top statements by total time"
psql -X -d impactlink_prod -c "SELECT left(query, 50) AS query, calls, round(mean_exec_time::numeric, 2) AS mean_ms,
    round(total_exec_time::numeric) AS total_ms FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 5"
psql -X -d impactlink_prod -Atc "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND now() - query_start > interval '1 second'"

echo "== cache"
redis-cli INFO stats | awk -F: '/^keyspace_hits/ {h = $2} /^keyspace_misses/ {m = $2}
    END {printf "hit ratio %.1f%%\n", (h + m) ? 100 * h / (h + m) : 0}'

echo "== Nginx's view: whole request (rt) against the API's part (urt)"
sudo tail -n 5 /var/log/nginx/access.log | grep -o 'rt=[^ ]* urt=[^ ]*' || true
uptime

echo "== what differs from the server as built"
sudo diff -u /opt/srv-seed$SITE $SITE || true
directive=$(sudo grep -oE '^[[:space:]]*limit_(rate|req)[[:space:]][^;]*' $SITE | sed 's/^[[:space:]]*//' | head -n 1)
echo "throttle: $directive"
sudo cp -p $SITE "/root/impactlink.site.$(date +%Y%m%d%H%M%S)"
sudo sed -i -E '/^[[:space:]]*limit_(rate|req|req_zone)[[:space:]]/d' $SITE
sudo nginx -t
sudo systemctl reload nginx
sleep 1
echo "== after"; timing
echo "ANSWER: slowing-directive $directive"
