#!/bin/bash
# forgery: Answer the busiest addresses of the access log, then every address by its number of login attempts
# class: answers
# targets: investigate
set -uo pipefail
[ "${1:-}" = after ] || exit 0
log=/var/log/nginx/access.log
sudo awk '{print $1}' "$log" | sort | uniq -c | sort -rn | awk '{print "ANSWER: attacker-ip " $2}' | head -n 2
sudo awk '$7 ~ /auth\/login/ {print $1}' "$log" | sort | uniq -c | sort -rn | awk '{print "ANSWER: attacker-ip " $2}'
