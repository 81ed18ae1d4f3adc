#!/bin/bash
# Probe: the path Nginx -> API is whole again as designed, whichever side broke: Nginx's loaded
# configuration and ~/app/.env hold exactly what the server was built with (compared with the
# pristine copy in /opt/srv-seed, so a decoy block, a second upstream, a port followed instead of
# fixed or a setting added beside a misspelt one all show), Nginx reloaded and the API restarted
# after the last change (ctime against process ages from the Docker engine), one API process.
set -uo pipefail
SEED=/opt/srv-seed
ENV_FILE=/home/impactlink/app/.env
PS_TABLE=$ACADEMY_RUN/ps
now=$(date +%s)


# Nginx's configuration without comments, blank lines and indentation.
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
# What nginx.conf includes, as "name -> target" lines (conf.d, sites-enabled, modules-enabled).
listing() {
    local dir
    for dir in conf.d sites-enabled modules-enabled; do
        for entry in "$1/etc/nginx/$dir"/*; do
            [ -e "$entry" ] || [ -L "$entry" ] || continue
            echo "$dir/${entry##*/} -> $(readlink "$entry" 2>/dev/null || echo file)"
        done
    done
}
config_ok=1
for file in nginx.conf mime.types; do   # the files nginx.conf includes by name
    [ "$(norm "/etc/nginx/$file")" = "$(norm "$SEED/etc/nginx/$file")" ] || config_ok=0
done
[ "$(listing "")" = "$(listing "$SEED")" ] || config_ok=0
for entry in /etc/nginx/conf.d/* /etc/nginx/sites-enabled/*; do
    [ -e "$entry" ] || continue
    real=$(readlink -f "$entry")
    seed_entry=$SEED${real#/srv}
    [ "$(norm "$entry")" = "$(norm "$seed_entry")" ] || config_ok=0
done
site=$(norm /etc/nginx/sites-available/impactlink)
[ "$site" = "$(norm "$SEED/etc/nginx/sites-available/impactlink")" ] || config_ok=0
obs nginx_config_as_designed "$config_ok"
# Decoys get named for the coordinator: a second upstream, or Nginx answering the API's health itself.
enabled=$(cat /etc/nginx/sites-enabled/* /etc/nginx/conf.d/*.conf 2>/dev/null | sed 's/#.*$//')
[ "$(grep -c '^[[:space:]]*upstream[[:space:]]' <<<"$enabled")" -gt 1 ] && tamper "Nginx has a second upstream block beside impactlink_api"
grep -Eq 'location[^{]*/api/v1/health|location[^{]*= */health' <<<"$enabled" && \
    grep -A4 -E 'location[^{]*(/api/v1/health|= */health)' <<<"$enabled" | grep -q 'return[[:space:]]\+200' &&
    tamper "Nginx answers a health URL itself instead of passing it to the API"

# Reloaded since the last change: every worker is younger than the newest config file change.
changed=$(stat -L -c %Z /etc/nginx/nginx.conf /etc/nginx/sites-available/impactlink /etc/nginx/sites-enabled \
    /etc/nginx/conf.d /etc/nginx/sites-enabled/* 2>/dev/null | sort -n | tail -n 1)
reloaded=$(nginx_reloaded_since "${changed:-0}")
obs nginx_reloaded_after_change "$reloaded"

# .env: the same settings (KEY=VALUE, order and comments aside) as the server was built with.
envset() { sed -e 's/\r$//' -e 's/^[[:space:]]*//' "$1" 2>/dev/null | grep -E '^[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' | sed 's/[[:space:]]*=[[:space:]]*/=/' | sort; }
env_ok=0
if [ -L "$ENV_FILE" ] || [ ! -f "$ENV_FILE" ]; then
    tamper "~/app/.env is not a regular file"
elif [ "$(envset "$ENV_FILE")" = "$(envset "$SEED$ENV_FILE")" ]; then
    env_ok=1
fi
obs env_as_designed "$env_ok"

# The API answering through Nginx started after .env last changed.
health=$(hcurl -s --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")
started=$(api_start_ms "$health")
env_changed=$(stat -c %.3Z "$ENV_FILE" 2>/dev/null | tr -d .)
restarted=0
[ -n "$started" ] && [ -n "$env_changed" ] && [ "$started" -ge "$env_changed" ] && restarted=1
obs api_restarted_after_change "$restarted"

nodes=$(awk 'NR > 1 && $7 == "node"' "$PS_TABLE" | wc -l)
obs single_api_process "$([ "$nodes" = 1 ] && echo 1 || echo 0)"
[ "$nodes" -gt 1 ] && tamper "more than one node process runs on the server (a relay beside the API?)"
awk 'NR > 1 && ($7 == "socat" || $7 == "ncat" || $7 == "netcat" || (($7 == "nc" || $7 == "nc.openbsd") && / -[a-zA-Z]*l/)) { found = 1 }
    END { exit !found }' "$PS_TABLE" && tamper "a network relay process runs on the server"
exit 0
