#!/bin/bash
# forgery: A login limit keyed on the server name: one shared bucket, so everyone gets 429
# class: teaches
# targets: rate-limit
set -uo pipefail
[ "${1:-}" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
# add_login_location BODY: a location for the login path before location /api/.
add_login_location() {
    sudo sed -i "s#^    location /api/ {#    location = /api/v1/auth/login {\n$1\n    }\n\n    location /api/ {#" "$site"
}
PROXY="        proxy_pass http://impactlink_api;\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n        proxy_set_header Host \$host;\n        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
sudo sed -i '1i limit_req_zone $server_name zone=login:10m rate=5r/m;' "$site"
add_login_location "        limit_req zone=login burst=3 nodelay;\n        limit_req_status 429;\n$PROXY"
sudo nginx -t && sudo systemctl reload nginx
