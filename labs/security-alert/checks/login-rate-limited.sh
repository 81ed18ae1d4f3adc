#!/bin/bash
# Probe: the login path is rate-limited per client address and the rest of the API is not.
# Judged by behaviour from the probe, a client of its own: a first login attempt reaches the API
# (proven by the API's own answer, which echoes this run's token and carries its ETag), a quick
# burst is answered 429, other API paths still answer 200 right after. From the configuration:
# every zone in use counts per client address, and Nginx runs the configuration on disk.
set -uo pipefail
NGINX=/etc/nginx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The configuration as Nginx reads it: nginx.conf with its includes, comments dropped.
: >$work/conf-files
expand() {
    local f=$1 depth=$2 line pattern g
    [ "$depth" -le 5 ] || return 0
    echo "$f" >>$work/conf-files
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%%#*}
        if [[ $line =~ ^[[:space:]]*include[[:space:]]+([^\;]+)\; ]]; then
            pattern=${BASH_REMATCH[1]}
            [[ $pattern = /* ]] || pattern=$NGINX/$pattern
            # Files off the server's disk (/tmp, /run, ...) are out of the probe's sight.
            case $pattern in
                /etc/* | /usr/share/*) ;;
                *) tamper "the Nginx configuration includes files outside /etc" ;;
            esac
            [[ $pattern == *[*?[]* ]] || [ -f "$pattern" ] || tamper "the Nginx configuration includes a file the check cannot read"
            for g in $pattern; do [ -f "$g" ] && expand "$g" $((depth + 1)); done
        else
            printf '%s\n' "$line"
        fi
    done <"$f"
}
conf=$(expand "$NGINX/nginx.conf" 0)
# Zones by name with their keys; the zones that limit_req uses.
per_client=$(awk 'BEGIN {RS = ";"} {
        gsub(/[\n\t]+/, " ")
        n = split($0, w, " ")
        for (i = 1; i <= n; i++) {
            if (w[i] == "limit_req_zone") {
                for (j = i + 1; j <= n; j++) if (w[j] ~ /^zone=/) { split(substr(w[j], 6), z, ":"); key[z[1]] = w[i + 1] }
            }
            if (w[i] == "limit_req") {
                for (j = i + 1; j <= n; j++) if (w[j] ~ /^zone=/) used[substr(w[j], 6)] = 1
            }
        }
    }
    END {
        ok = 0
        for (name in used) { ok = 1; break }
        for (name in used) if (key[name] != "$binary_remote_addr" && key[name] != "$remote_addr") ok = 0
        print ok
    }' <<<"$conf")
obs key_per_client "$per_client"
# Nginx runs what is on disk: its oldest worker started after every file last changed (ctime,
# which touch cannot move back; seconds, so an edit within the second of a reload goes unseen).
newest=0
while read -r f; do
    c=$(stat -L -c %Z "$f" 2>/dev/null || echo 0)
    [ "$c" -gt "$newest" ] && newest=$c
done < <(sort -u $work/conf-files)
# Nginx started the usual way, with the usual configuration file.
master=$(awk 'NR > 1 && $7 == "nginx" && /nginx: master process/' "$ACADEMY_RUN/ps")
if [ -n "$master" ] && ! grep -Eq ' -[cgp]( |$)' <<<"$master"; then obs nginx_default 1; else obs nginx_default 0; fi
worker=$(awk 'NR > 1 && $7 == "nginx" && / nginx: worker process$/ {print $5}' "$ACADEMY_RUN/ps" | sort -n | tail -n 1)
if [ -n "$worker" ] && [ $(( $(date +%s) - worker )) -ge "$newest" ]; then
    obs nginx_current 1
else
    obs nginx_current 0
fi

# Behaviour. Fifteen login attempts in quick succession on one connection, each with a token.
token=rl$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
args=()
for i in $(seq 1 15); do
    args+=(-o "$work/body$i" "https://$ACADEMY_DOMAIN/api/v1/auth/login?$token$i")
done
hcurl -s --max-time 8 -X POST -H 'Content-Type: application/json' -d '{"email":"x@example.org","password":"x"}' \
    -w '%{http_code} %header{etag}\n' "${args[@]}" >$work/codes 2>/dev/null
# from_api I: the API's own 404 answer (it echoes the path, token included; its ETag is the
# SHA-1 of that exact body, which Nginx cannot make up).
from_api() {
    local i=$1 code etag body want
    read -r code etag < <(sed -n "${i}p" $work/codes)
    [ "$code" = 401 ] || [ "$code" = 404 ] || return 1
    body=$(cat "$work/body$i" 2>/dev/null)
    [[ $body == *"\"path\":\"/api/v1/auth/login?$token$i\""* ]] || return 1
    want="W/\"$(printf '%x' "$(printf '%s' "$body" | wc -c)")-$(printf '%s' "$body" | openssl dgst -sha1 -binary | base64 | cut -c1-27)\""
    [ "$etag" = "$want" ]
}
if from_api 1; then obs first_login_api 1; else obs first_login_api 0; fi
obs burst_429 "$(awk '$1 == 429' $work/codes | wc -l)"
# Right after the burst, the same client on other paths.
others=1
for path in /api/v1/health /api/v1/charities; do
    code=$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 5 "https://$ACADEMY_DOMAIN$path")
    [ "$code" = 200 ] || others=0
done
obs other_paths_ok "$others"
