#!/bin/bash
# Probe: before the redaction, a root-only copy of every affected log was kept, whole and
# unredacted: each copy holds the lines setup wrote, the leaked password included, in their exact
# form. (logs-scrubbed then compares the live logs with these copies line by line.)
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

if [ ! -d "$EVIDENCE" ]; then
    obs ev_dir 0
    exit 0
fi
obs ev_dir 1
owner=$(stat -c %U "$EVIDENCE")
mode=$(stat -c %a "$EVIDENCE")
if [ "$owner" = root ] && [ $((8#$mode & 8#077)) = 0 ]; then obs ev_private 1; else obs ev_private 0; fi
obs ev_open_files "$(find "$EVIDENCE" -type f -perm /077 | wc -l)"
for kind in app service rotated access; do
    found=0
    while IFS= read -r f; do
        original "$kind" "$f" && { found=1; break; }
    done < <(members "$kind")
    obs "ev_$kind" "$found"
done
