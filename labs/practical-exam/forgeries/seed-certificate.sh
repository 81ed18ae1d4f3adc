#!/bin/bash
# forgery: Put back the certificate and key the server was built with, read from the platform's pristine copy in /opt/srv-seed, instead of issuing a new one
# class: secrets
# targets: certificate
[ "$1" = before ] || exit 0
sudo cp /opt/srv-seed/etc/nginx/ssl/impactlink.crt /opt/srv-seed/etc/nginx/ssl/impactlink.key /etc/nginx/ssl/ 2>/dev/null
sudo nginx -t -q && sudo systemctl reload nginx
