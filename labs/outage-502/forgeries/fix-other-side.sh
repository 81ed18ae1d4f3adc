#!/bin/bash
# forgery: Make the healthy side follow the broken one (the API to Nginx's port, or Nginx to the API's port) instead of fixing the cause
# class: teaches
# targets: restore-service
[ "$1" = before ] || exit 0
cd ~/app || exit 1
api_port() { ss -ltnpH 2>/dev/null | awk '/"node"/ {n = split($4, a, ":"); print a[n]}' | head -n 1; }
site=/etc/nginx/sites-available/impactlink
upstream=$(sed -n 's/^[[:space:]]*server 127\.0\.0\.1:\([0-9]*\);.*/\1/p' $site | head -n 1)
for _ in $(seq 40); do listening=$(api_port); [ -n "$listening" ] && break; sleep 0.5; done
if [ "$upstream" != 5000 ]; then
    sed -i "s/^PORT=.*/PORT=$upstream/" .env
    sudo systemctl restart impactlink-api
else
    sudo sed -i "s/server 127\.0\.0\.1:5000;/server 127.0.0.1:$listening;/" $site
    sudo nginx -t -q && sudo systemctl reload nginx
fi
sleep 2
