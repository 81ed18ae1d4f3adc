#!/bin/bash
# Probe: Nginx's configuration is the one the server was built with (compared, comments and
# spacing aside, with the pristine copy in /opt/srv-seed: nginx.conf, what it includes, the site),
# so the throttle is gone rather than raised, moved or worked around; and every Nginx worker is
# younger than the last change to it (reloaded), from the engine's process table.
set -uo pipefail
SEED=/opt/srv-seed

norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
included() {   # what nginx.conf pulls in, as "dir/name -> target"
    local dir entry
    for dir in conf.d sites-enabled modules-enabled; do
        for entry in "$1/etc/nginx/$dir"/*; do
            [ -e "$entry" ] || [ -L "$entry" ] || continue
            echo "$dir/${entry##*/} -> $(readlink "$entry" 2>/dev/null || echo file)"
        done
    done
}
same=1
for file in nginx.conf mime.types sites-available/impactlink; do
    [ "$(norm "/etc/nginx/$file")" = "$(norm "$SEED/etc/nginx/$file")" ] || same=0
done
[ "$(included "")" = "$(included "$SEED")" ] || same=0
for entry in /etc/nginx/conf.d/* /etc/nginx/sites-enabled/*; do
    [ -e "$entry" ] || continue
    real=$(readlink -f "$entry")
    [ "$(norm "$entry")" = "$(norm "$SEED${real#/srv}")" ] || same=0
done
obs nginx_config_as_designed "$same"

changed=$(stat -L -c %Z /etc/nginx/nginx.conf /etc/nginx/sites-available/impactlink /etc/nginx/sites-enabled \
    /etc/nginx/conf.d /etc/nginx/sites-enabled/* /etc/nginx/conf.d/* 2>/dev/null | sort -n | tail -n 1)
obs nginx_reloaded_after_change "$(nginx_reloaded_since "${changed:-0}")"
exit 0
