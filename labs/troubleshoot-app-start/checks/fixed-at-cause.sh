#!/bin/bash
# Probe: the API runs as designed again, whatever stopped it. ~/app/.env holds the settings the
# server was built with (compared with the pristine copy in /opt/srv-seed), belongs to impactlink
# with mode 600; every file of the release is there as shipped and nothing shadows it (no stub
# module, no node_modules); Nginx still proxies to the API as built; exactly one node process, run
# as impactlink, and the one answering health was started by the unit: the unit sends its output
# to service.log, where the API logs "listening" when it starts.
set -uo pipefail
SEED=/opt/srv-seed
APP=/home/impactlink/app
ENV_FILE=$APP/.env
PS_TABLE=$ACADEMY_RUN/ps


# .env: the same settings (KEY=VALUE, order and comments aside) as the server was built with.
envset() { sed -e 's/\r$//' -e 's/^[[:space:]]*//' "$1" 2>/dev/null | grep -E '^[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' | sed 's/[[:space:]]*=[[:space:]]*/=/' | sort; }
env_ok=0 private=0
if [ -L "$ENV_FILE" ] || [ ! -f "$ENV_FILE" ]; then
    tamper "~/app/.env is not a regular file"
else
    [ "$(envset "$ENV_FILE")" = "$(envset "$SEED$ENV_FILE")" ] && env_ok=1
    [ "$(stat -c '%u %a' "$ENV_FILE")" = "$(stat -c '%u' "$SEED$ENV_FILE") 600" ] && private=1
fi
obs env_as_designed "$env_ok"
obs env_private "$private"

# The release: every file of the seed's ~/app (outside .git and .env) present and identical, and
# no code beside it that the release does not have.
intact=1
while IFS= read -r -d '' file; do
    rel=${file#"$SEED$APP"/}
    if [ -L "$APP/$rel" ] || ! cmp -s "$file" "$APP/$rel"; then
        intact=0
    fi
done < <(find "$SEED$APP" -path "$SEED$APP/.git" -prune -o -type f ! -name '.env' -print0)
extra=$(cd "$APP" 2>/dev/null && find . -path ./.git -prune -o \( -name node_modules -o -type f \( -name '*.js' -o -name '*.json' -o -name '*.cjs' -o -name '*.mjs' -o -name '*.node' \) \) -print |
    while read -r rel; do [ -f "$SEED$APP/${rel#./}" ] || echo "$rel"; done)
[ -z "$extra" ] || intact=0
obs release_intact "$intact"

# Nginx's configuration without comments, blank lines and indentation, as it was built.
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
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
for file in nginx.conf mime.types sites-available/impactlink; do
    [ "$(norm "/etc/nginx/$file")" = "$(norm "$SEED/etc/nginx/$file")" ] || config_ok=0
done
[ "$(listing "")" = "$(listing "$SEED")" ] || config_ok=0
obs nginx_config_as_designed "$config_ok"

# One node process, run as impactlink.
nodes=$(awk 'NR > 1 && $7 == "node"' "$PS_TABLE" | wc -l)
obs single_api_process "$([ "$nodes" = 1 ] && echo 1 || echo 0)"
user=$(awk 'NR > 1 && $7 == "node" {print $2; exit}' "$PS_TABLE")
obs api_runs_as_impactlink "$([ "$user" = impactlink ] && echo 1 || echo 0)"

# Started by the unit: service.log (the unit's output) says the API began listening within a
# minute after the process answering health started; and where the image supervises the API
# (Restart=on-failure: `systemctl __supervise impactlink-api`, root), that supervisor runs and is
# at least as old as the node process (a node started by hand has no supervisor of its own).
health=$(hcurl -s --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")
started=$(api_start_ms "$health")
by_unit=0
if [ -n "$started" ]; then
    listened=$(grep -a 'INFO ImpactLink API listening' /var/log/impactlink/service.log 2>/dev/null | tail -n 1 |
        awk '{print $1}' | jq -R 'capture("^(?<s>[^.]+)(\\.(?<f>[0-9]+))?Z$")
            | (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") + "00" | .[0:3] | tonumber)' 2>/dev/null)
    if [[ $listened =~ ^[0-9]+$ ]] && [ "$listened" -ge $((started - 1000)) ] && [ "$listened" -le $((started + 60000)) ]; then
        by_unit=1
    fi
fi
if grep -q '__supervise' /usr/local/bin/systemctl 2>/dev/null; then
    node_age=$(awk 'NR > 1 && $7 == "node" {print $5; exit}' "$PS_TABLE")
    awk -v age="${node_age:-0}" 'NR > 1 && $2 == "root" && $7 == "systemctl" && / __supervise impactlink-api$/ && $5 >= age { ok = 1 }
        END { exit !ok }' "$PS_TABLE" || by_unit=0
fi
obs api_started_by_unit "$by_unit"
exit 0
