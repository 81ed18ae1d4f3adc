#!/bin/bash
# forgery: Make a self-signed certificate valid for a year with openssl instead of issuing one from the internal CA
# class: teaches
# targets: certificate
[ "$1" = before ] || exit 0
domain=impactlink.solovedhelpinghands.org.za
sudo openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 -subj "/CN=$domain" \
    -addext "subjectAltName=DNS:$domain" \
    -keyout /etc/nginx/ssl/impactlink.key -out /etc/nginx/ssl/impactlink.crt 2>/dev/null
sudo nginx -t -q && sudo systemctl reload nginx
