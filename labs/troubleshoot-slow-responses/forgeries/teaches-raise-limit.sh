#!/bin/bash
# forgery: Raise the throttle so high it no longer bites (limit_rate 10m, or rate=1000r/s with nodelay) instead of removing it
# class: teaches
# targets: fix-the-delay
set -uo pipefail
[ "${1:-}" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
directive=$(sudo grep -oE '^[[:space:]]*limit_(rate|req)[[:space:]][^;]*' $site | sed 's/^[[:space:]]*//' | head -n 1)
sudo sed -i -E -e 's/^([[:space:]]*)limit_rate [^;]*;/\1limit_rate 10m;/' \
    -e 's/rate=[0-9]+r\/s/rate=1000r\/s/' -e 's/^([[:space:]]*limit_req zone=[^;]*);/\1 nodelay;/' $site
sudo nginx -t -q && sudo systemctl reload nginx
echo "ANSWER: slowing-directive $directive"
