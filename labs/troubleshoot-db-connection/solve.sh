#!/bin/bash
# troubleshoot-db-connection reference solution, as impactlink: status first, then the refusal
# PostgreSQL logged, then the cause behind it; fix that and verify through Nginx.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
TUNING=/etc/postgresql/15/main/conf.d/impactlink.conf
cd ~/app

curl -s "https://$DOMAIN/api/v1/health" || true
echo
tail -n 5 /var/log/impactlink/error.log
systemctl status postgresql --no-pager | head -n 3 || true
pglog=$(journalctl -u postgresql -n 80)

if ! systemctl is-active --quiet postgresql; then
    # PostgreSQL is down and its log says why it would not start.
    tail -n 8 <<<"$pglog"
    bad=$(grep -o 'unrecognized configuration parameter "[^"]*"' <<<"$pglog" | tail -n 1 | cut -d'"' -f2)
    [ -n "$bad" ]
    # The closest real parameter name (edit distance), from PostgreSQL's own list.
    good=$(sudo -u postgres /usr/lib/postgresql/15/bin/postgres --describe-config | cut -f1 |
        awk -v m="$bad" '
            function dist(a, b,   i, j, la, lb, d, c) {
                la = length(a); lb = length(b)
                for (i = 0; i <= la; i++) d[i, 0] = i
                for (j = 0; j <= lb; j++) d[0, j] = j
                for (i = 1; i <= la; i++) for (j = 1; j <= lb; j++) {
                    c = (substr(a, i, 1) == substr(b, j, 1)) ? 0 : 1
                    d[i, j] = d[i-1, j] + 1
                    if (d[i, j-1] + 1 < d[i, j]) d[i, j] = d[i, j-1] + 1
                    if (d[i-1, j-1] + c < d[i, j]) d[i, j] = d[i-1, j-1] + c
                    if (i > 1 && j > 1 && substr(a, i, 1) == substr(b, j-1, 1) && substr(a, i-1, 1) == substr(b, j, 1) && d[i-2, j-2] + 1 < d[i, j]) d[i, j] = d[i-2, j-2] + 1
                }
                return d[la, lb]
            }
            { s = dist($0, m); if (best == "" || s < best) { best = s; key = $0 } }
            END { print key }')
    echo "$bad should be $good"
    sudo cp -p "$TUNING" /tmp/impactlink.conf.before-fix
    sudo sed -i "s/^$bad = /$good = /" "$TUNING"
    sudo systemctl start postgresql
    answer=$bad
elif grep -Eq 'too many clients|remaining connection slots' <<<"$pglog"; then
    # Every slot is taken: who holds them, and since when (superuser slots are reserved).
    sudo -u postgres psql -X -c "SELECT state, usename, application_name, count(*) FROM pg_stat_activity
        WHERE datname = 'impactlink_prod' GROUP BY 1, 2, 3 ORDER BY 4 DESC"
    port=$(sudo -u postgres psql -X -At -c "SELECT client_port FROM pg_stat_activity
        WHERE datname = 'impactlink_prod' AND state = 'idle in transaction' ORDER BY state_change LIMIT 1")
    # The client end of that connection belongs to the process holding the slots.
    pid=$(ss -tnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    ps -o pid,user,etime,args -p "$pid"
    script=$(ps -o args= -p "$pid" | awk '{print $NF}')
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    answer=${script##*/}
elif grep -Eq 'password authentication failed for user|does not exist' <<<"$pglog"; then
    # The server refuses the names the API uses: compare them with the release's template.
    grep '^DATABASE_URL=' .env | sed -E 's#(://[^:]+:)[^@]*@#\1****@#'
    grep '^DATABASE_URL=' .env.example
    user=$(sed -n 's#^DATABASE_URL=postgresql://\([^:]*\):.*#\1#p' .env)
    database=$(sed -n 's#^DATABASE_URL=postgresql://[^/]*/\([^?]*\).*#\1#p' .env)
    cp -p .env .env.before-fix
    if [ "$user" != impactlink ]; then
        sed -i "s#^DATABASE_URL=postgresql://$user:#DATABASE_URL=postgresql://impactlink:#" .env
        answer=$user
    else
        sed -i "s#^\(DATABASE_URL=postgresql://[^/]*\)/$database#\1/impactlink_prod#" .env
        answer=$database
    fi
    rm -f .env.before-fix
    sudo systemctl restart impactlink-api
else
    echo "no database refusal found" >&2
    exit 1
fi

for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq .
psql -X -d impactlink_prod -c 'SELECT count(*) FROM donations;'
echo "ANSWER: culprit $answer"
