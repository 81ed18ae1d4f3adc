#!/bin/bash
# forgery: Remove the throttle from the file but never reload Nginx, so the running configuration keeps it
# class: shallow
# targets: fix-the-delay
set -uo pipefail
[ "${1:-}" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
directive=$(sudo grep -oE '^[[:space:]]*limit_(rate|req)[[:space:]][^;]*' $site | sed 's/^[[:space:]]*//' | head -n 1)
sudo sed -i -E '/^[[:space:]]*limit_(rate|req|req_zone)[[:space:]]/d' $site
echo "ANSWER: slowing-directive $directive"
