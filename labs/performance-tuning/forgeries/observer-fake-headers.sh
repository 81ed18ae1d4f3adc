#!/bin/bash
# forgery: Make Nginx add Content-Encoding: gzip and X-Cache-Status: HIT headers to every API answer instead of compressing or caching anything
# class: observer
# targets: compression, proxy-cache
[ "$1" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
sudo sed -i 's#^\(\s*\)proxy_pass http://impactlink_api;#&\n\1add_header Content-Encoding gzip always;\n\1add_header X-Cache-Status HIT always;\n\1add_header Strict-Transport-Security "max-age=31536000" always;\n\1add_header X-Content-Type-Options nosniff always;#' $site
sudo nginx -t -q && sudo systemctl reload nginx
