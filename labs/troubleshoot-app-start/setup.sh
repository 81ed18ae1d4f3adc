#!/bin/bash
# troubleshoot-app-start setup (root): one thing stops the API from starting, chosen per session
# by LAB_CULPRIT, which is also the root-cause answer. Its form says what it is: a required
# setting's name misspelt in .env (upper case), the numeric owner a restored .env kept (digits), a
# file of the release gone from ~/app (a path), or the script of another program that took the
# API's port (NAME.js). The API is then restarted the way maintenance would and fails at start.
set -euo pipefail
: "${LAB_CULPRIT:?}"
# Daemons started below (the API's supervisor, the stray tool) must not inherit the session's values.
culprit=$LAB_CULPRIT
unset LAB_CULPRIT LAB_SESSION LAB_HOST
APP=/home/impactlink/app
ENV_FILE=$APP/.env
DOMAIN=impactlink.solovedhelpinghands.org.za
as_impactlink() { runuser -u impactlink -- env HOME=/home/impactlink "$@"; }

# Normal traffic first, so the logs show the service working before the fault.
for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5 /api/v1/charities?category=health; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done

case $culprit in
    [A-Z]*)
        # A required setting renamed by a typo during a hand edit of .env.
        case $culprit in
            D*) setting=DATABASE_URL ;;
            R*) setting=REDIS_URL ;;
            J*) setting=JWT_SECRET ;;
            *) echo "unknown setting typo $culprit" >&2; exit 2 ;;
        esac
        sed -i "s/^$setting=/$culprit=/" "$ENV_FILE"
        grep -q "^$culprit=" "$ENV_FILE" && ! grep -q "^$setting=" "$ENV_FILE"
        systemctl restart impactlink-api || true
        ;;
    [0-9]*)
        # .env restored from a tarball made on a laptop with `sudo tar x`: the laptop user's
        # numeric owner came with it, mode 600, so the API's user can no longer read it.
        chown "$culprit:$culprit" "$ENV_FILE"
        systemctl restart impactlink-api || true
        ;;
    src/* | package.json | server.js)
        # A file of the release gone from the working tree (an unfinished clean-up by hand).
        [ -f "$APP/$culprit" ]
        rm -f "$APP/$culprit"
        systemctl restart impactlink-api || true
        ;;
    *.js)
        # A developer's tool that listens on the API's port: they stopped the API to try it,
        # and left it running when they were done.
        name=${culprit%.js}
        install -d -o impactlink -g impactlink -m 755 /home/impactlink/tools
        cat >"/home/impactlink/tools/$culprit" <<JS
'use strict';
// $name: a local test helper. It listens where the API does (127.0.0.1:5000), so the API
// must be stopped while it runs: sudo systemctl stop impactlink-api; node tools/$culprit
const http = require('http');
const port = Number(process.env.PORT || 5000);
http.createServer((req, res) => {
  res.writeHead(503, { 'Content-Type': 'text/plain' });
  res.end('Service Unavailable\n');
}).listen(port, '127.0.0.1', () => console.log('$name listening on 127.0.0.1:' + port));
JS
        chown impactlink:impactlink "/home/impactlink/tools/$culprit"
        systemctl stop impactlink-api
        # Daemonised as impactlink, so no shell of this setup stays behind as its parent.
        start-stop-daemon --start --quiet --background --chuid impactlink:impactlink --chdir /home/impactlink \
            --output /home/impactlink/tools/nohup.out --exec /usr/bin/node -- "tools/$culprit"
        chown impactlink:impactlink /home/impactlink/tools/nohup.out 2>/dev/null || true
        for _ in $(seq 100); do
            ss -ltnH 2>/dev/null | grep -q '127.0.0.1:5000 ' && break
            sleep 0.1
        done
        ss -ltnH | grep -q '127.0.0.1:5000 '
        systemctl start impactlink-api || true
        ;;
    *) echo "unknown culprit $culprit" >&2; exit 2 ;;
esac
sleep 2

# Users and the uptime monitor keep calling while it is down.
for _ in 1 2 3; do
    for path in /api/v1/health /api/v1/charities /api/v1/donations?limit=3; do
        curl -s -o /dev/null "https://$DOMAIN$path"
    done
done
as_impactlink /home/impactlink/scripts/health-check.sh --quiet --notify >>/var/log/impactlink/health.log 2>&1 || true

code=$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")
[ "$code" != 200 ] || { echo "the API still answers 200 after the fault" >&2; exit 1; }
