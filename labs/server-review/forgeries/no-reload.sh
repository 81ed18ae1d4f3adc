#!/bin/bash
# forgery: Renew the certificate file with the documented command but never reload Nginx
# class: teaches
# targets: certificate
[ "$1" = before ] || exit 0
sudo impactlink-issue-cert
