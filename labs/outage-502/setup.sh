#!/bin/bash
# outage-502 setup (root): break the path Nginx -> API at one cause, chosen per session, and let
# the outage show up in the logs the way it would in production.
set -euo pipefail
: "${LAB_FAULT:?}" "${LAB_PORT:?}" "${LAB_SETTING:?}"
ENV_FILE=/home/impactlink/app/.env
SITE=/etc/nginx/sites-available/impactlink
DOMAIN=impactlink.solovedhelpinghands.org.za

misspelt() {  # the transposition typo made in the setting's name
    case $1 in
        DATABASE_URL) echo DATABSAE_URL ;;
        REDIS_URL) echo REDIS_ULR ;;
        JWT_SECRET) echo JWT_SERCET ;;
        *) echo "unknown setting $1" >&2; return 2 ;;
    esac
}

# Some normal traffic first, so the logs show the service working before the fault.
for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5 /api/v1/charities?category=health; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done

case $LAB_FAULT in
    upstream-port)
        # A hand edit of the upstream block during a "quick test", never reverted.
        sed -i "s/server 127\.0\.0\.1:5000;/server 127.0.0.1:$LAB_PORT;/" "$SITE"
        nginx -t -q
        systemctl reload nginx
        ;;
    api-port)
        sed -i "s/^PORT=5000\$/PORT=$LAB_PORT/" "$ENV_FILE"
        grep -q "^PORT=$LAB_PORT\$" "$ENV_FILE"
        systemctl restart impactlink-api
        ;;
    env-typo)
        wrong=$(misspelt "$LAB_SETTING")
        sed -i "s/^$LAB_SETTING=/$wrong=/" "$ENV_FILE"
        grep -q "^$wrong=" "$ENV_FILE"
        # The API exits at start with "missing required configuration"; the unit shows failed.
        systemctl restart impactlink-api || true
        ;;
    *) echo "unknown fault $LAB_FAULT" >&2; exit 2 ;;
esac
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
