#!/bin/bash
# security-alert setup (root): the database password is set to this session's value and then
# leaks into four logs (one of them rotated and compressed); the Nginx log shows a password
# brute force against the login path from one public address.
set -euo pipefail
: "${LAB_DBPW:?}" "${LAB_ATTACKER_NET:?}" "${LAB_ATTACKER_HOST:?}"
HOME_DIR=/home/impactlink
ENV_FILE=$HOME_DIR/app/.env
LOGS=/var/log/impactlink
ATTACKER="102.$LAB_ATTACKER_NET.$LAB_ATTACKER_HOST.17"
DSN="postgresql://impactlink:$LAB_DBPW@127.0.0.1:5432/impactlink_prod"

# 1. The current password is this session's value (the leak must be live to matter).
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod \
    -c "ALTER ROLE impactlink PASSWORD '$LAB_DBPW'"
sed -i -E "s#^DATABASE_URL=.*#DATABASE_URL=$DSN#" "$ENV_FILE"
printf 'localhost:5432:*:impactlink:%s\n127.0.0.1:5432:*:impactlink:%s\n' "$LAB_DBPW" "$LAB_DBPW" >"$HOME_DIR/.pgpass"
chown impactlink:impactlink "$HOME_DIR/.pgpass"
chmod 600 "$HOME_DIR/.pgpass"
systemctl restart impactlink-api
impactlink-ready --wait 20

# 2. A debug statement left in for a pool investigation printed the pool's configuration.
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.%3NZ; }
leak_json() {  # when
    printf '{"timestamp":"%s","level":"debug","message":"pool config","connectionString":"%s","max":10,"idleTimeoutMillis":30000}\n' \
        "$(iso "$1")" "$DSN"
}
normal_json() {  # when message
    printf '{"timestamp":"%s","level":"info","message":"%s"}\n' "$(iso "$1")" "$2"
}
{
    leak_json "-95 minutes"
    normal_json "-95 minutes" "connected to Redis"
    leak_json "-61 minutes"
    normal_json "-60 minutes" "donation received"
    leak_json "-12 minutes"
} >>"$LOGS/app.log"
{
    printf '%s DEBUG pool config {"connectionString":"%s","max":10}\n' "$(iso "-61 minutes")" "$DSN"
    printf '%s INFO ImpactLink API listening {"port":5000,"version":"1.0.0","env":"production"}\n' "$(iso "-61 minutes")"
} >>"$LOGS/service.log"

# Yesterday's rotated log carries it too (logrotate: dateext, compress, delaycompress).
yesterday=$(date -d yesterday +%Y%m%d)
{
    normal_json "-26 hours" "ImpactLink API listening"
    leak_json "-26 hours"
    normal_json "-25 hours" "connected to Redis"
} | gzip >"$LOGS/app.log-$yesterday.gz"
chown impactlink:impactlink "$LOGS/app.log-$yesterday.gz"
chmod 640 "$LOGS/app.log-$yesterday.gz"

# 3. Nginx: a monitor misconfigured with the DSN in its URL, everyday traffic, and the attack.
clf() { date -d "$1" '+%d/%b/%Y:%H:%M:%S %z'; }
line() {  # ip when method path status bytes agent
    printf '%s - - [%s] "%s %s HTTP/1.1" %s %s "-" "%s" rt=0.0%02d urt=0.0%02d\n' \
        "$1" "$(clf "$2")" "$3" "$4" "$5" "$6" "$7" $((RANDOM % 90 + 10)) $((RANDOM % 90 + 5))
}
{
    line 10.20.0.5 "-90 minutes" GET "/api/v1/health?probe=db&dsn=$DSN" 200 115 "uptime-probe/2.1"
    for i in $(seq 40 -1 1); do
        for ip in 41.13.88.201 105.245.12.9 197.229.4.77 165.73.110.3; do
            case $((RANDOM % 4)) in
                0) line "$ip" "-$((i * 2 + 30)) minutes" GET /api/v1/charities 200 5120 "Mozilla/5.0" ;;
                1) line "$ip" "-$((i * 2 + 30)) minutes" GET "/api/v1/projects?limit=12" 200 8133 "Mozilla/5.0" ;;
                2) line "$ip" "-$((i * 2 + 30)) minutes" POST /api/v1/donations 201 412 "Mozilla/5.0" ;;
                3) line "$ip" "-$((i * 2 + 30)) minutes" POST /api/v1/auth/login 200 688 "Mozilla/5.0" ;;
            esac
        done
    done
    line 10.20.0.5 "-31 minutes" GET "/api/v1/health?probe=db&dsn=$DSN" 200 115 "uptime-probe/2.1"
    for s in $(seq 1800 -7 60); do
        line "$ATTACKER" "-$s seconds" POST /api/v1/auth/login 401 61 "python-requests/2.31.0"
    done
} >>/var/log/nginx/access.log
chown www-data:adm /var/log/nginx/access.log

# The alert the trainee starts from.
cat >"$HOME_DIR/ALERT.txt" <<ALERT
[SECURITY] log pipeline secret scanner - severity HIGH

A credential pattern (postgresql://user:password@host) was found in log files of
impactlink-prod that are shipped to the external log service. Treat it as leaked.

Separately, the WAF reports a burst of POST /api/v1/auth/login from one address
over the last 30 minutes.
ALERT
chown impactlink:impactlink "$HOME_DIR/ALERT.txt"
