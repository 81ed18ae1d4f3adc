#!/bin/bash
# troubleshoot-slow-responses setup (root): someone added a throttle to Nginx's /api/ location
# this morning "against scrapers": a bandwidth cap per response (limit_rate) or a request-rate
# limit that queues requests instead of rejecting them (limit_req without nodelay). Every data
# page now takes seconds; the API, PostgreSQL and Redis are as fast as ever. pg_stat_statements
# is reset, as at the start of the working day, so it shows only today's load.
set -euo pipefail
: "${LAB_DIRECTIVE:?}" "${LAB_RPS:?}" "${LAB_TICKET:?}"
SITE=/etc/nginx/sites-available/impactlink
DOMAIN=impactlink.solovedhelpinghands.org.za

runuser -u postgres -- psql -X -q -d impactlink_prod -c 'SELECT pg_stat_statements_reset()' >/dev/null
# The morning's traffic, while everything was still fast.
for path in /api/v1/charities /api/v1/projects?limit=12 /api/v1/charities?category=health /api/v1/health; do
    curl -s -o /dev/null --max-time 10 "https://$DOMAIN$path" || true
done

case $LAB_DIRECTIVE in
    limit_rate\ *)
        sed -i "0,/^    location \/api\/ {/s//    location \/api\/ {\n        # OPS-$LAB_TICKET: slow down bulk scrapers of the charity lists\n        $LAB_DIRECTIVE;/" "$SITE"
        ;;
    limit_req\ *)
        zone=$(sed -n 's/.*zone=\([a-z_]*\).*/\1/p' <<<"$LAB_DIRECTIVE")
        sed -i "1i # OPS-$LAB_TICKET: per-client request limit against scrapers\nlimit_req_zone \$binary_remote_addr zone=$zone:1m rate=${LAB_RPS}r/s;\n" "$SITE"
        sed -i "0,/^    location \/api\/ {/s//    location \/api\/ {\n        $LAB_DIRECTIVE;/" "$SITE"
        ;;
    *) echo "unknown directive $LAB_DIRECTIVE" >&2; exit 2 ;;
esac
grep -qF "$LAB_DIRECTIVE;" "$SITE"
nginx -t -q
systemctl reload nginx
sleep 1

# The slowdown as users met it: data pages take seconds now.
for path in /api/v1/charities /api/v1/charities?page=2 /api/v1/projects?limit=12; do
    curl -s -o /dev/null --max-time 5 "https://$DOMAIN$path" &
done
wait
