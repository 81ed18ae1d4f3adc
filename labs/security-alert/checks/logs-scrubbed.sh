#!/bin/bash
# Probe: the leaked password is nowhere under /var/log (compressed files included); every
# affected log is still there and, compared with the evidence copy, differs only in the password
# replaced by [REDACTED] (every other line kept, later lines appended); and Nginx and the API
# still write into the live files (a file replaced under a running writer loses its new lines).
set -uo pipefail
: "${LAB_DBPW:?}"
# --- shared by evidence-kept.sh and logs-scrubbed.sh: the evidence, unpacked, and the shapes of
# the lines setup wrote (timestamps vary; everything else is fixed or this session's password).
EVIDENCE=/root/incident-evidence
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
esc() { sed 's/[][\.*^$?+(){}|/]/\\&/g' <<<"$1"; }
DSN_RAW="postgresql://impactlink:$LAB_DBPW@127.0.0.1:5432/impactlink_prod"
DSN_RED="postgresql://impactlink:[REDACTED]@127.0.0.1:5432/impactlink_prod"
# shape KIND DSN: the regular expression of one kind of leak line.
shape() {
    local dsn; dsn=$(esc "$2")
    case $1 in
        app) echo '^\{"timestamp":"[0-9T:.Z-]+","level":"debug","message":"pool config","connectionString":"'"$dsn"'","max":10,"idleTimeoutMillis":30000\}$' ;;
        service) echo '^[0-9T:.Z-]+ DEBUG pool config \{"connectionString":"'"$dsn"'","max":10\}$' ;;
        access) echo '^10\.20\.0\.5 - - \[[^]]+\] "GET /api/v1/health\?probe=db&dsn='"$dsn"' HTTP/1\.1" 200 115 "-" "uptime-probe/2\.1" rt=[0-9.]+ urt=[0-9.]+$' ;;
    esac
}
# unpack FILE NAME DEPTH: every plain file inside the evidence (through gzip and tar), listed
# as "name<TAB>path".
unpack() {
    local f=$1 name=$2 depth=$3 out dir member
    [ "$depth" -le 3 ] || return 0
    if [ "$(head -c 2 -- "$f" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
        out=$(mktemp -p "$work")
        timeout 5 zcat -- "$f" >"$out" 2>/dev/null && unpack "$out" "${name%.gz}" $((depth + 1))
    elif timeout 5 tar -tf "$f" >/dev/null 2>&1; then
        dir=$(mktemp -d -p "$work")
        timeout 5 tar -xf "$f" -C "$dir" --no-same-owner --no-same-permissions 2>/dev/null
        while IFS= read -r -d '' member; do
            unpack "$member" "$(basename "$member")" $((depth + 1))
        done < <(find "$dir" -type f -print0)
    else
        printf '%s\t%s\n' "$name" "$f" >>"$work/members"
    fi
}
: >"$work/members"
if [ -d "$EVIDENCE" ]; then
    while IFS= read -r -d '' f; do
        unpack "$f" "$(basename "$f")" 0
    done < <(find "$EVIDENCE" -type f -size -64M -print0 2>/dev/null)
fi
# members KIND: the unpacked evidence files that may be a copy of that log.
members() {
    case $1 in
        app) awk -F'\t' '$1 ~ /app\.log$/ {print $2}' "$work/members" ;;
        service) awk -F'\t' '$1 ~ /service\.log$/ {print $2}' "$work/members" ;;
        rotated) awk -F'\t' '$1 ~ /app\.log-[0-9]+$/ {print $2}' "$work/members" ;;
        access) awk -F'\t' '$1 ~ /access\.log$/ {print $2}' "$work/members" ;;
    esac
}
# original KIND FILE: 1 when FILE is a whole, unredacted copy of that log as setup left it.
original() {
    local kind=$1 f=$2
    case $kind in
        app)
            [ "$(grep -cE "$(shape app "$DSN_RAW")" "$f")" = 3 ] &&
                grep -qE '^\{"timestamp":"[^"]+","level":"info","message":"connected to Redis"\}$' "$f" &&
                grep -qE '^\{"timestamp":"[^"]+","level":"info","message":"donation received"\}$' "$f" ;;
        service)
            [ "$(grep -cE "$(shape service "$DSN_RAW")" "$f")" = 1 ] &&
                grep -qE '^[0-9T:.Z-]+ INFO ImpactLink API listening \{"port":5000,' "$f" ;;
        rotated)
            [ "$(wc -l <"$f")" = 3 ] && [ "$(grep -cE "$(shape app "$DSN_RAW")" "$f")" = 1 ] &&
                grep -q '"message":"ImpactLink API listening"' "$f" &&
                grep -q '"message":"connected to Redis"' "$f" ;;
        access)
            [ "$(grep -cE "$(shape access "$DSN_RAW")" "$f")" = 2 ] &&
                [ "$(grep -cE '"POST /api/v1/auth/login HTTP/1\.1" 401 61 "-" "python-requests/2\.31\.0"' "$f")" -ge 249 ] &&
                [ "$(grep -cF '"Mozilla/5.0" rt=' "$f")" -ge 160 ] ;;
    esac
}
# --- end of the shared part

LOGS=/var/log/impactlink
# How many files under /var/log hold the leaked password (gzip- and xz-compressed ones included).
leaks=$(
    {
        grep -rlF --exclude='*.gz' --exclude='*.xz' -- "$LAB_DBPW" /var/log/ 2>/dev/null
        find -H /var/log -type f -name '*.gz' -print0 2>/dev/null |
            while IFS= read -r -d '' gz; do zcat -- "$gz" 2>/dev/null | grep -qF -- "$LAB_DBPW" && echo "$gz"; done
        find -H /var/log -type f -name '*.xz' -print0 2>/dev/null |
            while IFS= read -r -d '' xz; do xzcat -- "$xz" 2>/dev/null | grep -qF -- "$LAB_DBPW" && echo "$xz"; done
    } | wc -l
)
obs leak_files "$leaks"
rotated=$(ls "$LOGS"/app.log-*.gz 2>/dev/null | head -n 1)
missing=0
for f in "$LOGS/app.log" "$LOGS/service.log" /var/log/nginx/access.log "$rotated"; do
    [ -n "$f" ] && [ -f "$f" ] || missing=$((missing + 1))
done
obs files_missing "$missing"
# The live logs, decompressed where needed.
current() {
    case $1 in
        app) cat "$LOGS/app.log" ;;
        service) cat "$LOGS/service.log" ;;
        rotated) [ -n "$rotated" ] && zcat -- "$rotated" ;;
        access) cat /var/log/nginx/access.log ;;
    esac 2>/dev/null
}
redacted=0
kept=0
for kind in app service rotated access; do
    current "$kind" >"$work/now-$kind"
    shape_kind=$kind; [ "$kind" = rotated ] && shape_kind=app
    redacted=$((redacted + $(grep -cE "$(shape "$shape_kind" "$DSN_RED")" "$work/now-$kind")))
    # Kept: the evidence copy, redacted, is exactly the start of the live file.
    while IFS= read -r f; do
        original "$kind" "$f" || continue
        sed "s/$LAB_DBPW/[REDACTED]/g" "$f" >"$work/red-$kind"
        size=$(stat -c %s "$work/red-$kind")
        if [ "$(stat -c %s "$work/now-$kind")" -ge "$size" ] && cmp -s -n "$size" "$work/red-$kind" "$work/now-$kind"; then
            kept=$((kept + 1))
            break
        fi
    done < <(members "$kind")
done
obs redacted_lines "$redacted"
obs kept_logs "$kept"
# Still written: a request with a token of this run must reach Nginx's live access log, and an
# error the API logs (its idle database connections dropped) must reach its live app.log and
# service.log.
token=logcheck$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
since=$(date -u +%Y-%m-%dT%H:%M:%S)
for _ in 1 2; do
    # The health request leaves an idle connection in the API's pool; dropping it makes the
    # API log an error.
    hcurl -s -o /dev/null "https://$ACADEMY_DOMAIN/api/v1/health?$token" >/dev/null 2>&1
    dropped=$(hpsql impactlink_prod "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE application_name = 'impactlink-api' AND state = 'idle'" 2>/dev/null)
    [ "${dropped:-0}" -gt 0 ] && break
done
nginx_live=0
api_live=0
for _ in 1 2 3 4 5 6; do
    sleep 0.15
    tail -c 65536 /var/log/nginx/access.log 2>/dev/null | grep -qF "$token" && nginx_live=1
    app=$(tail -n 20 "$LOGS/app.log" 2>/dev/null | grep -F '"message":"idle PostgreSQL client error"' |
        sed -n 's/^{"timestamp":"\([^".]*\).*/\1/p' | tail -n 1)
    svc=$(tail -n 20 "$LOGS/service.log" 2>/dev/null | grep -F 'ERROR idle PostgreSQL client error' |
        sed -n 's/^\([^ .]*\).*/\1/p' | tail -n 1)
    [[ -n "$app" && ! "$app" < "$since" && -n "$svc" && ! "$svc" < "$since" ]] && api_live=1
    [ $nginx_live = 1 ] && [ $api_live = 1 ] && break
done
obs nginx_live "$nginx_live"
obs api_live "$api_live"
