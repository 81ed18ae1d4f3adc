#!/bin/bash
# forgery: Switch proxy_cache on for the whole /api/ location (health and per-user answers included) instead of the one public list
# class: teaches
# targets: proxy-cache
[ "$1" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
sudo sed -i '1i proxy_cache_path /var/lib/nginx/cache levels=1:2 keys_zone=api_cache:1m max_size=50m inactive=10m use_temp_path=off;\n' $site
sudo sed -i 's#^    location /api/ {#&\n        proxy_cache api_cache;\n        proxy_cache_valid 200 60s;\n        add_header X-Cache-Status $upstream_cache_status always;\n        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;\n        add_header X-Frame-Options SAMEORIGIN always;\n        add_header X-Content-Type-Options nosniff always;#' $site
sudo nginx -t -q && sudo systemctl reload nginx
