#!/bin/bash
# performance-tuning setup (root): production as found after a rushed week. Compression of JSON
# is off in Nginx (LAB_GZIP_FAULT: gzip switched off, or JSON missing from gzip_types), the
# charity lists live in Redis for only LAB_TTL seconds, and the API's database pool was cut to
# LAB_POOL connections while someone chased a "too many connections" error. Nothing is cached
# in Nginx. The trainee measures, fixes, and measures again.
set -euo pipefail
: "${LAB_GZIP_FAULT:?}" "${LAB_TTL:?}" "${LAB_POOL:?}"
ENV_FILE=/home/impactlink/app/.env
CONF=/etc/nginx/nginx.conf
DOMAIN=impactlink.solovedhelpinghands.org.za

case $LAB_GZIP_FAULT in
    off) sed -i 's/^\(\s*\)gzip on;/\1gzip off;/' "$CONF"; grep -q 'gzip off;' "$CONF" ;;
    types) sed -i 's/^\(\s*gzip_types\) application\/json /\1 /' "$CONF"
           grep -q 'gzip_types' "$CONF"; ! grep -q 'gzip_types.*application/json' "$CONF" ;;
    *) echo "unknown gzip fault" >&2; exit 2 ;;
esac
nginx -t -q
systemctl reload nginx

sed -i -e "s/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=$LAB_TTL/" -e "s/^DB_POOL_MAX=.*/DB_POOL_MAX=$LAB_POOL/" "$ENV_FILE"
grep -q "^CACHE_TTL_CHARITIES=$LAB_TTL\$" "$ENV_FILE"
grep -q "^DB_POOL_MAX=$LAB_POOL\$" "$ENV_FILE"
runuser -u impactlink -- redis-cli -a "$(sed -n 's/^REDIS_PASSWORD=//p' "$ENV_FILE")" --no-auth-warning FLUSHDB >/dev/null
systemctl restart impactlink-api
for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
# Some ordinary traffic, so the cache statistics and the logs are not empty.
for path in /api/v1/charities /api/v1/charities?category=health /api/v1/projects /api/v1/charities; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ]
