#!/bin/bash
# forgery: Restart the API and type the first diagnostics setting .env.example lists, in its leaking state, without comparing .env
# class: answers
# targets: fix-the-cause
set -uo pipefail
if [ "${1:-}" = before ]; then
    sudo systemctl restart impactlink-api
    sleep 3
    exit 0
fi
echo "ANSWER: leak-setting DEBUG_CAPTURE=on"
