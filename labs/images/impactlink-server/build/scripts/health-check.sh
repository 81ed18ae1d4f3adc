#!/bin/bash
# Health report for the ImpactLink server.
#
# Usage: health-check.sh [--quiet] [--notify]
#   --quiet   print only problems and the summary line (cron)
#   --notify  also append WARN/FAIL lines to /var/log/impactlink/alerts.log
# Checks: API process, API health over HTTPS through Nginx, PostgreSQL (a real query),
#         Redis (PING with auth), Nginx, disk (warn 80%, fail 90%), memory (warn 80%,
#         fail 90% of the container limit), TLS certificate (warn < 30 days), last backup age.
# Exit:  0 all OK, 1 warnings only, 2 at least one failure (Nagios convention)
set -uo pipefail
source "$(dirname "$(readlink -f "$0")")/lib/common.sh"

quiet=0 notify=0
for arg in "$@"; do
    case $arg in
        --quiet | -q) quiet=1 ;;
        --notify) notify=1 ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

ok=0 warned=0 failed=0
report() {  # level check message
    case $1 in OK) ok=$((ok + 1)) ;; WARN) warned=$((warned + 1)) ;; FAIL) failed=$((failed + 1)) ;; esac
    [ $quiet = 1 ] && [ "$1" = OK ] && return 0
    printf '[%-4s] %-10s %s\n' "$1" "$2" "$3"
    if [ $notify = 1 ] && [ "$1" != OK ]; then
        echo "$(date -Is) $(hostname) $1 $2: $3" >>"$LOG_DIR/alerts.log"
    fi
}
threshold() {  # name percent detail
    if [ "$2" -ge 90 ]; then report FAIL "$1" "$3"
    elif [ "$2" -ge 80 ]; then report WARN "$1" "$3"
    else report OK "$1" "$3"; fi
}

[ $quiet = 1 ] || echo "ImpactLink health check  $(date '+%F %T %Z')  ($(hostname))"

# 1. API process
if pid=$(pgrep -u impactlink -x node | head -n 1) && [ -n "$pid" ]; then
    report OK process "impactlink-api $(systemctl is-active impactlink-api), node pid $pid, $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB RSS", $1/1024}')"
else
    report FAIL process "no node process for impactlink-api (systemctl: $(systemctl is-active impactlink-api))"
fi

# 2. API health through Nginx (the path users take)
if addr=$(getent -s files ahostsv4 "$DOMAIN"); then
    report OK dns "$DOMAIN -> ${addr%% *}"
else
    report WARN dns "$DOMAIN does not resolve (check /etc/hosts); API checked via 127.0.0.1"
fi
out=$(curl -sS "${CURL_RESOLVE[@]}" --max-time 5 -w '\n%{http_code} %{time_total}' "$HEALTH_URL" 2>&1)
read -r code seconds <<<"${out##*$'\n'}"
body=${out%$'\n'*}
ms=$(awk -v s="${seconds:-0}" 'BEGIN {printf "%d", s * 1000}')
if [ "$code" = 200 ]; then
    report OK api "$HEALTH_URL -> 200 in ${ms} ms ($(jq -r '"version \(.version), database \(.database), cache \(.cache)"' <<<"$body" 2>/dev/null))"
else
    report FAIL api "$HEALTH_URL -> HTTP ${code:-000} $(tr '\n' ' ' <<<"$body" | cut -c1-160)"
fi

# 3. PostgreSQL: a real query, not just "port open"
db_url=$(env_value DATABASE_URL)
if conns=$(psql -X -At "$db_url" -c "SELECT count(*) || '/' || current_setting('max_connections') FROM pg_stat_activity" 2>&1); then
    report OK postgresql "impactlink_prod answers queries ($conns connections)"
else
    report FAIL postgresql "$(head -n 1 <<<"$conns")"
fi

# 4. Redis with its password
if [ "$(rcli ping 2>&1)" = PONG ]; then
    stats=$(rcli info 2>/dev/null | tr -d '\r' |
        awk -F: '/^used_memory_human/ {m = $2} /^keyspace_hits/ {h = $2} /^keyspace_misses/ {x = $2}
                 END {printf "used %s, hit ratio %s", m, (h + x) ? sprintf("%.0f%%", 100 * h / (h + x)) : "n/a"}')
    report OK redis "PONG ($stats)"
else
    report FAIL redis "$(rcli ping 2>&1 | head -n 1)"
fi

# 5. Nginx
if [ "$(systemctl is-active nginx)" = active ]; then report OK nginx "active"; else report FAIL nginx "$(systemctl is-active nginx)"; fi

# 6. Disk: every filesystem that holds data, logs or backups
for mount in $(df -P /var/lib/postgresql/ /var/log/ /var/backups/ /home/impactlink/ 2>/dev/null | awk 'NR > 1 {print $6}' | sort -u); do
    read -r pct avail <<<"$(df -P "$mount" | awk 'NR == 2 {gsub("%", "", $5); print $5, $4}')"
    threshold disk "$pct" "$mount ${pct}% used, $(numfmt --to=iec --from-unit=1024 "$avail") free"
done

# 7. Memory: the container's cgroup limit when there is one, otherwise the host's
mem_line() {
    local limit usage inactive
    if [ -r /sys/fs/cgroup/memory.max ]; then
        limit=$(cat /sys/fs/cgroup/memory.max); usage=$(cat /sys/fs/cgroup/memory.current)
        inactive=$(awk '$1 == "inactive_file" {print $2}' /sys/fs/cgroup/memory.stat)
    elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
        limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); usage=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes)
        inactive=$(awk '$1 == "total_inactive_file" {print $2}' /sys/fs/cgroup/memory/memory.stat)
    fi
    local total_kb; total_kb=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
    if [ -n "${limit:-}" ] && [ "$limit" != max ] && [ "$limit" -lt $((total_kb * 1024)) ]; then
        echo "$(( (usage - ${inactive:-0}) * 100 / limit )) $(( (usage - ${inactive:-0}) / 1048576 )) $(( limit / 1048576 )) container"
    else
        awk '/^MemTotal/ {t = $2} /^MemAvailable/ {a = $2} END {printf "%d %d %d host\n", (t - a) * 100 / t, (t - a) / 1024, t / 1024}' /proc/meminfo
    fi
}
read -r pct used total scope <<<"$(mem_line)"
threshold memory "$pct" "${pct}% used (${used} of ${total} MB, $scope)"

# 8. TLS certificate actually served by Nginx
enddate=$(echo | openssl s_client -connect 127.0.0.1:443 -servername "$DOMAIN" 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)
if [ -z "$enddate" ]; then
    report FAIL tls "could not read the certificate served on 127.0.0.1:443"
else
    days=$(( ($(date -d "$enddate" +%s) - $(date +%s)) / 86400 ))
    if [ "$days" -lt 0 ]; then report FAIL tls "certificate EXPIRED $((-days)) days ago ($enddate)"
    elif [ "$days" -lt 30 ]; then report WARN tls "certificate expires in $days days ($enddate): renew now"
    else report OK tls "certificate valid for $days more days ($enddate)"; fi
fi

# 9. Backups: the daily 02:00 job must have produced a database dump
newest=$(find /var/backups/impactlink -mindepth 2 -maxdepth 2 -name impactlink_prod.dump -printf '%T@ %h\n' 2>/dev/null | sort -n | tail -n 1)
if [ -z "$newest" ]; then
    report WARN backup "no database backup in /var/backups/impactlink"
else
    age=$(( ($(date +%s) - ${newest%%.*}) / 3600 ))
    if [ "$age" -ge 26 ]; then report WARN backup "newest database backup is ${age} h old: $(basename "${newest#* }")"
    else report OK backup "newest database backup ${age} h old: $(basename "${newest#* }")"; fi
fi

rc=0
[ $warned -gt 0 ] && rc=1
[ $failed -gt 0 ] && rc=2
echo "$(date '+%F %T') summary: $ok OK, $warned WARN, $failed FAIL -> exit $rc"
exit $rc
