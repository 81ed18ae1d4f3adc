#!/bin/bash
# outage-502 setup (root): break the path Nginx -> API at one cause, chosen per session, and let
# the outage show up in the logs the way it would in production. LAB_WRONG is the wrong value
# itself: a port (Nginx's upstream or the API's PORT, by LAB_SIDE) or a misspelt setting name.
set -euo pipefail
: "${LAB_WRONG:?}" "${LAB_SIDE:?}"
ENV_FILE=/home/impactlink/app/.env
SITE=/etc/nginx/sites-available/impactlink
DOMAIN=impactlink.solovedhelpinghands.org.za

# Some normal traffic first, so the logs show the service working before the fault.
for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5 /api/v1/charities?category=health; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done

if [[ $LAB_WRONG =~ ^[0-9]+$ ]] && [ "$LAB_SIDE" = nginx ]; then
    # A hand edit of the upstream block during a "quick test", never reverted.
    sed -i "s/server 127\.0\.0\.1:5000;/server 127.0.0.1:$LAB_WRONG;/" "$SITE"
    grep -q "server 127.0.0.1:$LAB_WRONG;" "$SITE"
    nginx -t -q
    systemctl reload nginx
elif [[ $LAB_WRONG =~ ^[0-9]+$ ]]; then
    # The API moved off the port Nginx and the runbook expect.
    sed -i "s/^PORT=5000\$/PORT=$LAB_WRONG/" "$ENV_FILE"
    grep -q "^PORT=$LAB_WRONG\$" "$ENV_FILE"
    systemctl restart impactlink-api
else
    # A required setting's name mistyped in .env: the API exits at start.
    case $LAB_WRONG in
        D*) setting=DATABASE_URL ;;
        R* | E*) setting=REDIS_URL ;;
        J* | W*) setting=JWT_SECRET ;;
        *) echo "unknown fault value" >&2; exit 2 ;;
    esac
    sed -i "s/^$setting=/$LAB_WRONG=/" "$ENV_FILE"
    grep -q "^$LAB_WRONG=" "$ENV_FILE"
    ! grep -q "^$setting=" "$ENV_FILE"
    systemctl restart impactlink-api || true
fi
sleep 1

# Users and the uptime monitor keep calling while it is down.
for _ in 1 2 3; do
    for path in /api/v1/health /api/v1/charities /api/v1/donations?limit=3 /health; do
        curl -s -o /dev/null "https://$DOMAIN$path"
    done
done
runuser -u impactlink -- /home/impactlink/scripts/health-check.sh --quiet --notify \
    >>/var/log/impactlink/health.log 2>&1 || true

code=$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")
[ "$code" = 502 ] || { echo "expected a 502 after the fault, got $code" >&2; exit 1; }
