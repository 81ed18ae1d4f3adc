#!/bin/bash
# The path is whole again as designed: Nginx's upstream is 127.0.0.1:5000, the API listens on
# 5000 as .env says, and the broken setting (if that was the fault) is spelt right again.
set -uo pipefail
: "${LAB_FAULT:?}" "${LAB_SETTING:?}"
ENV_FILE=/home/impactlink/app/.env
rc=0

config=$(nginx -T 2>/dev/null)
if [ -z "$config" ]; then
    echo "FAIL: nginx -t reports an invalid configuration."
    exit 1
fi
servers=$(awk '/upstream impactlink_api/ {on = 1} on && /^[[:space:]]*server[[:space:]]/ {print $2} on && /}/ {exit}' <<<"$config" | tr -d ';')
if [ "$servers" != 127.0.0.1:5000 ] && [ "$servers" != localhost:5000 ]; then
    echo "FAIL: Nginx's upstream impactlink_api points at '${servers//$'\n'/ }', not at the API's port 127.0.0.1:5000."
    rc=1
fi
if ! awk '/location \/api\/ \{/ {on = 1} on && /proxy_pass/ {print; exit}' <<<"$config" | grep -q 'proxy_pass http://impactlink_api;'; then
    echo "FAIL: location /api/ no longer passes requests to the upstream impactlink_api."
    rc=1
fi
if [ "$(grep -c '^PORT=' "$ENV_FILE")" != 1 ] || ! grep -qx 'PORT=5000' "$ENV_FILE"; then
    echo "FAIL: ~/app/.env must set PORT=5000 (once), the port Nginx and the runbook expect."
    rc=1
fi
if ! runuser -u impactlink -- ss -ltnpH | awk '$4 ~ /:5000$/ && /"node"/ {found = 1} END {exit !found}'; then
    echo "FAIL: no node process listens on port 5000."
    echo "HINT: systemctl status impactlink-api and its log tell you whether the API runs, and on which port."
    rc=1
fi
if [ "$LAB_FAULT" = env-typo ]; then
    known=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$ENV_FILE")
    if [ "$(grep -cx "$LAB_SETTING" <<<"$known")" != 1 ]; then
        echo "FAIL: ~/app/.env must hold exactly one $LAB_SETTING line."
        rc=1
    fi
    for key in $known; do
        if [ "$key" != "$LAB_SETTING" ] && [ "$(echo "$key" | grep -o . | sort | tr -d '\n')" = "$(echo "$LAB_SETTING" | grep -o . | sort | tr -d '\n')" ]; then
            echo "FAIL: ~/app/.env still has the misspelt line $key."
            rc=1
        fi
    done
fi
exit $rc
