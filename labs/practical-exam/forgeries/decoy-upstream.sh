#!/bin/bash
# forgery: Leave the wrong upstream in place and add a second upstream block on port 5000 that /api/ is sent to
# class: observer
# targets: web
[ "$1" = before ] || exit 0
site=/etc/nginx/sites-available/impactlink
sudo sed -i '1i upstream impactlink_api_fixed {\n    server 127.0.0.1:5000;\n}\n' $site
sudo sed -i 's#proxy_pass http://impactlink_api;#proxy_pass http://impactlink_api_fixed;#' $site
sudo nginx -t -q && sudo systemctl reload nginx
