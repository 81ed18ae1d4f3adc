#!/bin/bash
# server-review setup on prod (root): a certificate that expires in this session's number of days
# (as if AutoSSL had failed for weeks), loaded by Nginx, and one service found stopped.
set -euo pipefail
: "${LAB_DAYS:?}" "${LAB_STOPPED:?}"
# Issued for one day more than the drawn number, so that the whole days left (rounded down) are
# that number throughout the session.
impactlink-issue-cert --days "$((LAB_DAYS + 1))" >/dev/null
nginx -t -q
systemctl reload nginx
systemctl stop "$LAB_STOPPED"
! systemctl is-active --quiet "$LAB_STOPPED"
