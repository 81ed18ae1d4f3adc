#!/bin/bash
# Probe, task web: Nginx runs the configuration the server was built with (its files compared
# with the pristine copy in /opt/srv-seed, comments and spacing aside, and the same files
# enabled), every Nginx worker started after the last change to it, and a request through Nginx
# is answered by the API process itself (its uptime matches a node process in the process table
# the Docker engine took, and its clock is now). The API may still report a dependency down.
set -uo pipefail
SEED=/opt/srv-seed
now=$(date +%s)
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
enabled() {
    local dir entry
    for dir in conf.d sites-enabled modules-enabled; do
        for entry in "$1/etc/nginx/$dir"/*; do
            [ -e "$entry" ] || [ -L "$entry" ] || continue
            echo "$dir/${entry##*/} -> $(readlink "$entry" 2>/dev/null || echo file) $(norm "$entry" | md5sum | cut -c1-12)"
        done
    done
}
same=1
for file in nginx.conf mime.types sites-available/impactlink; do
    [ "$(norm "/etc/nginx/$file")" = "$(norm "$SEED/etc/nginx/$file")" ] || same=0
done
[ "$(enabled "")" = "$(enabled "$SEED")" ] || same=0
obs config_as_built "$same"

changed=$(stat -L -c %Z /etc/nginx/nginx.conf /etc/nginx/sites-available/impactlink /etc/nginx/sites-enabled \
    /etc/nginx/conf.d /etc/nginx/sites-enabled/* 2>/dev/null | sort -n | tail -n 1)
reloaded=$(nginx_reloaded_since "${changed:-0}")
obs reloaded "$reloaded"

out=$(hcurl -k -s --max-time 5 -w '\n%{http_code}' "https://$ACADEMY_DOMAIN/api/v1/health")
code=${out##*$'\n'}
body=${out%$'\n'*}
obs code "${code:-000}"
from_api=0
uptime=$(jq -r '.uptime // empty' <<<"$body" 2>/dev/null)
ts=$(jq -r '.timestamp // empty' <<<"$body" 2>/dev/null)
if [[ $uptime =~ ^[0-9.]+$ ]] && [ -n "$ts" ]; then
    at=$(date -d "$ts" +%s 2>/dev/null || echo 0)
    if [ $((now - at)) -le 5 ] && [ $((at - now)) -le 5 ] &&
        awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 } END { exit !ok }' "$ACADEMY_RUN/ps"; then
        from_api=1
    fi
fi
obs answered_by_api "$from_api"
awk 'NR > 1 && ($7 == "socat" || $7 == "ncat" || (($7 == "nc" || $7 == "nc.openbsd") && / -[a-zA-Z]*l/))' "$ACADEMY_RUN/ps" | grep -q . &&
    tamper "a network relay process runs on the server"
exit 0
