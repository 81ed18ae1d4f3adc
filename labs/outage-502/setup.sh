#!/bin/bash
# outage-502 setup (root): break the path Nginx -> API with one wrong port, chosen per session,
# and let the outage show up in the logs the way it would in production. LAB_WRONG is the wrong
# port itself, set on one side (Nginx's upstream or the API's PORT, by LAB_SIDE); the API keeps
# running, so the scenario is always a 502 between Nginx and a live API.
set -euo pipefail
: "${LAB_WRONG:?}" "${LAB_SIDE:?}"
# Daemons restarted below (the API's supervisor) must not inherit the session's values.
wrong=$LAB_WRONG side=$LAB_SIDE
unset LAB_WRONG LAB_SIDE LAB_SESSION LAB_HOST
ENV_FILE=/home/impactlink/app/.env
SITE=/etc/nginx/sites-available/impactlink
DOMAIN=impactlink.solovedhelpinghands.org.za

# Some normal traffic first, so the logs show the service working before the fault.
for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5 /api/v1/charities?category=health; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done

[[ $wrong =~ ^[0-9]+$ ]] || { echo "the wrong value must be a port: $wrong" >&2; exit 2; }
if [ "$side" = nginx ]; then
    # A hand edit of the upstream block during a "quick test", never reverted.
    sed -i "s/server 127\.0\.0\.1:5000;/server 127.0.0.1:$wrong;/" "$SITE"
    grep -q "server 127.0.0.1:$wrong;" "$SITE"
    nginx -t -q
    systemctl reload nginx
else
    # The API moved off the port Nginx and the runbook expect.
    sed -i "s/^PORT=5000\$/PORT=$wrong/" "$ENV_FILE"
    grep -q "^PORT=$wrong\$" "$ENV_FILE"
    systemctl restart impactlink-api
    # The API is up, only elsewhere: wait until it listens (Node.js is slow to load under load).
    for _ in $(seq 100); do
        ss -ltnH | grep -q ":$wrong " && break
        sleep 0.2
    done
    ss -ltnH | grep -q ":$wrong "
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
