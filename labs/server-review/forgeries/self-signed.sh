#!/bin/bash
# forgery: Replace the certificate with a self-signed one valid for a year (no CA), and reload Nginx
# class: observer
# targets: certificate
[ "$1" = before ] || exit 0
D=impactlink.solovedhelpinghands.org.za
sudo openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$D" -addext "subjectAltName=DNS:$D" \
    -keyout /etc/nginx/ssl/impactlink.key -out /etc/nginx/ssl/impactlink.crt 2>/dev/null
sudo systemctl reload nginx
