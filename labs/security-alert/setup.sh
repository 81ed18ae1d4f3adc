#!/bin/bash
# security-alert setup (root): the database password is set to this session's value and then
# leaks into four logs (one of them rotated and compressed); the Nginx log shows a password
# brute force against the login path from one public address, among busier honest clients.
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
# This release has no login limit of its own yet (the lab adds one in Nginx).
sed -i 's/^RATE_LIMIT_LOGIN_PER_MINUTE=.*/RATE_LIMIT_LOGIN_PER_MINUTE=0/' "$ENV_FILE"
# On a busy machine the API can be slow to come back: give it a second chance.
systemctl restart impactlink-api && impactlink-ready --wait 60 ||
    { systemctl restart impactlink-api && impactlink-ready --wait 90; }

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
# Besides the attacker, three busy addresses: a partner integration (the busiest overall), the
# call centre's office NAT and a mobile carrier's NAT (more login attempts than the attacker, but
# nearly all successful). Only the failed logins single out the attacker.
PARTNER="154.0.$((LAB_ATTACKER_NET * 7 % 250 + 2)).20"
OFFICE="196.25.$((LAB_ATTACKER_HOST * 3 % 250 + 2)).1"
CARRIER="105.224.$(((LAB_ATTACKER_NET + LAB_ATTACKER_HOST) % 250 + 2)).9"
now=$(date +%s)
line() {  # ip seconds-ago method path status bytes agent
    printf '%s\t%s - - [%(%d/%b/%Y:%H:%M:%S %z)T] "%s %s HTTP/1.1" %s %s "-" "%s" rt=0.0%02d urt=0.0%02d\n' \
        $((now - $2)) "$1" $((now - $2)) "$3" "$4" "$5" "$6" "$7" $((RANDOM % 90 + 10)) $((RANDOM % 90 + 5))
}
{
    line 10.20.0.5 5400 GET "/api/v1/health?probe=db&dsn=$DSN" 200 115 "uptime-probe/2.1"
    line 10.20.0.5 1860 GET "/api/v1/health?probe=db&dsn=$DSN" 200 115 "uptime-probe/2.1"
    # Donors: thirty addresses, a few requests each; some of them mistype their password.
    octets=(41 105 196 197 154 165 169 129 160 156)
    donors=()
    for _ in $(seq 30); do
        donors+=("${octets[RANDOM % 10]}.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))")
    done
    for i in $(seq 160); do
        ip=${donors[RANDOM % 30]}
        ago=$((RANDOM % 5400))
        case $((RANDOM % 4)) in
            0) line "$ip" "$ago" GET /api/v1/charities 200 5120 "Mozilla/5.0" ;;
            1) line "$ip" "$ago" GET "/api/v1/projects?limit=12" 200 8133 "Mozilla/5.0" ;;
            2) line "$ip" "$ago" POST /api/v1/donations 201 412 "Mozilla/5.0" ;;
            3) line "$ip" "$ago" POST /api/v1/auth/login 200 688 "Mozilla/5.0" ;;
        esac
    done
    for n in $(seq 8); do
        ago=$((RANDOM % 5000 + 300))
        for k in $(seq $((n % 4 + 1))); do
            line "${donors[n]}" $((ago - k * 20)) POST /api/v1/auth/login 401 61 "Mozilla/5.0"
        done
        line "${donors[n]}" $((ago - 200)) POST /api/v1/auth/login 200 688 "Mozilla/5.0"
    done
    for _ in $(seq 400); do
        case $((RANDOM % 2)) in
            0) line "$PARTNER" $((RANDOM % 5400)) GET "/api/v1/projects?limit=50" 200 30211 "impactlink-partner-sync/1.4" ;;
            1) line "$PARTNER" $((RANDOM % 5400)) GET /api/v1/charities 200 5120 "impactlink-partner-sync/1.4" ;;
        esac
    done
    for _ in $(seq 280); do line "$OFFICE" $((RANDOM % 5400)) POST /api/v1/auth/login 200 688 "Mozilla/5.0 (Windows NT 10.0)"; done
    for _ in $(seq 6); do line "$OFFICE" $((RANDOM % 5400)) POST /api/v1/auth/login 401 61 "Mozilla/5.0 (Windows NT 10.0)"; done
    for _ in $(seq 60); do line "$OFFICE" $((RANDOM % 5400)) POST /api/v1/donations 201 412 "Mozilla/5.0 (Windows NT 10.0)"; done
    for _ in $(seq 265); do line "$CARRIER" $((RANDOM % 5400)) POST /api/v1/auth/login 200 688 "Mozilla/5.0 (Linux; Android 14)"; done
    for _ in $(seq 4); do line "$CARRIER" $((RANDOM % 5400)) POST /api/v1/auth/login 401 61 "Mozilla/5.0 (Linux; Android 14)"; done
    for _ in $(seq 40); do line "$CARRIER" $((RANDOM % 5400)) GET /api/v1/charities 200 5120 "Mozilla/5.0 (Linux; Android 14)"; done
    for s in $(seq 1800 -7 60); do
        line "$ATTACKER" "$s" POST /api/v1/auth/login 401 61 "python-requests/2.31.0"
    done
} | sort -s -n -k1,1 | cut -f2- >>/var/log/nginx/access.log
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
