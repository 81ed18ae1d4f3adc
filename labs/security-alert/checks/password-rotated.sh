#!/bin/bash
# .env and ~/.pgpass hold a new password that works, and the API was restarted after the change
# and is healthy on it.
set -uo pipefail
: "${LAB_DBPW:?}"
HOME_DIR=/home/impactlink
ENV_FILE=$HOME_DIR/app/.env
url=$(sed -n 's/^DATABASE_URL=//p' "$ENV_FILE" | tail -n 1 | tr -d '"'"'"'')
if grep -qF -- "$LAB_DBPW" "$ENV_FILE" "$HOME_DIR/.pgpass" 2>/dev/null; then
    echo "FAIL: ~/app/.env or ~/.pgpass still holds the leaked password."
    exit 1
fi
if [ "$(grep -c '^DATABASE_URL=' "$ENV_FILE")" != 1 ]; then
    echo "FAIL: ~/app/.env must have exactly one DATABASE_URL line."
    exit 1
fi
if [ "$(PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=5 psql -X -At "$url" -c 'SELECT 1' 2>/dev/null)" != 1 ]; then
    echo "FAIL: the DATABASE_URL in ~/app/.env does not log in."
    exit 1
fi
if [ "$(runuser -u impactlink -- env HOME=$HOME_DIR psql -X -w -At -h 127.0.0.1 -U impactlink -d impactlink_prod -c 'SELECT 1' 2>/dev/null)" != 1 ]; then
    echo "FAIL: psql -U impactlink no longer logs in from ~/.pgpass: update its lines to the new password."
    exit 1
fi
pid=$(pgrep -u impactlink -x node | head -n 1)
if [ -z "$pid" ]; then
    echo "FAIL: the API is not running."
    exit 1
fi
started=$(( $(date +%s) - $(ps -o etimes= -p "$pid" | tr -d ' ') ))
# Two seconds of slack: both clocks have whole-second resolution.
if [ $((started + 2)) -lt "$(stat -c %Y "$ENV_FILE")" ]; then
    echo "FAIL: the API was started before ~/app/.env last changed: it still runs with the old settings."
    exit 1
fi
health=$(curl -s --max-time 8 https://impactlink.solovedhelpinghands.org.za/api/v1/health)
if [ "$(jq -r '.database // empty' <<<"$health" 2>/dev/null)" != ok ]; then
    echo "FAIL: the API's health through Nginx does not report the database ok."
    echo "DETAIL: $health"
    exit 1
fi
