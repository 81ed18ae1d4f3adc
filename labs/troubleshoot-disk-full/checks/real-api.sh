#!/bin/bash
# Probe: health through Nginx is 200 and comes from the real API. A charity written into the
# database now (a random province, name and registration number) must come back through Nginx
# from the database on the first request and from the API's Redis cache on the second, after the
# row was renamed under it; and the health answer's uptime must match a node process in the host's
# process table (taken by the Docker engine). Nothing static, forwarded or canned can do all that.
set -uo pipefail
URL=https://$ACADEMY_DOMAIN
# The process answering /api/v1/health through Nginx: when it started (ms since the epoch, from its
# own answer), accepted only if a node process in the host's process table (taken by the Docker
# engine, not by anything in the sandbox) has been running that long, and only if its clock is now.
api_start_ms() {
    local uptime ts now
    uptime=$(jq -r '.uptime // empty' <<<"$1" 2>/dev/null)
    [[ $uptime =~ ^[0-9.]+$ ]] || return 1
    awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 }
        END { exit !ok }' "$ACADEMY_RUN/ps" || return 1
    ts=$(jq -r '.timestamp | capture("^(?<s>[^.]+)(\\.(?<f>[0-9]+))?Z$")
        | (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") + "00" | .[0:3] | tonumber)' <<<"$1" 2>/dev/null)
    [[ $ts =~ ^[0-9]+$ ]] || return 1
    # A canned answer carries a stale (or invented) clock; the live API's is now.
    now=$(date +%s%3N)
    [ $((now - ts)) -le 5000 ] && [ $((ts - now)) -le 5000 ] || return 1
    jq -n --argjson ts "$ts" --argjson up "$uptime" '$ts - $up * 1000 | floor'
}
nonce() { head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
province="probe-$(nonce)" first="Probe $(nonce)" second="Probe $(nonce)" reg="PRB-$(nonce)"

out=$(hcurl -s --max-time 5 -w '\n%{http_code}' "$URL/api/v1/health")
code=${out##*$'\n'}
body=${out%$'\n'*}
obs health_code "${code:-000}"
release=$(jq -r '.version // empty' /home/impactlink/app/package.json 2>/dev/null)
healthy=0
[ -n "$release" ] && [ "$(jq -r '[.version, .database, .cache] | join(" ")' <<<"$body" 2>/dev/null)" = "$release ok ok" ] && healthy=1
obs health_ok "$healthy"

# The health answer's own uptime belongs to a node process on the host, and its clock is now.
running=0
[ -n "$(api_start_ms "$body")" ] && running=1
obs api_is_running_process "$running"

reads=0 cached=0
if [ "$code" = 200 ]; then
    id=$(hpsql impactlink_prod "INSERT INTO public.charities (name, category, registration_number, verification_status, province)
        VALUES ('$first', 'other', '$reg', 'verified', '$province') RETURNING id" 2>/dev/null)
    if [ -n "$id" ]; then
        list="$URL/api/v1/charities?province=$province&limit=5"
        one=$(hcurl -s --max-time 5 -D - "$list" 2>/dev/null)
        if grep -qi '^x-cache: *MISS' <<<"$one" && [ "$(sed -n '/^{/p' <<<"$one" | jq -r '[.data[]?.id] | join(",")' 2>/dev/null)" = "$id" ] &&
            [ "$(sed -n '/^{/p' <<<"$one" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ]; then
            reads=1
        fi
        hpsql impactlink_prod "UPDATE public.charities SET name = '$second' WHERE id = '$id'" >/dev/null 2>&1
        two=$(hcurl -s --max-time 5 -D - "$list" 2>/dev/null)
        if grep -qi '^x-cache: *HIT' <<<"$two" && [ "$(sed -n '/^{/p' <<<"$two" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ]; then
            cached=1
        fi
        # The record served its purpose; a third request would now read the renamed row.
        hpsql impactlink_prod "DELETE FROM public.charities WHERE id = '$id'" >/dev/null 2>&1
    fi
fi
obs api_reads_database "$reads"
obs api_uses_cache "$cached"
exit 0
