#!/bin/bash
# database-basics reference solution, as impactlink: read the size, run the report, end the one
# session that blocks the donation's update, dump and restore into a scratch database.
set -euo pipefail
sql() { psql -U impactlink -d impactlink_prod -X -q -At -v ON_ERROR_STOP=1 "$@"; }
sql -c '\conninfo'
sql -c '\dt+'
size=$(sql -c "SELECT pg_size_pretty(pg_database_size('impactlink_prod'))")
echo "database size: $size"
echo "ANSWER: database-size ${size% MB}"

# The ticket names the charity and the month (the lab shows them); the solution reads them from
# the donations setup added, as a trainee reads them off the ticket.
read -r charity_id month < <(sql -F ' ' -c "SELECT charity_id, to_char(created_at, 'YYYY-MM') FROM donations
    WHERE payment_status = 'pending' AND created_at < now() - interval '20 days'
      AND to_char(created_at, 'DD HH24:MI:SS.US') = '15 10:00:00.000000' ORDER BY created_at DESC LIMIT 1")
total=$(sql -c "SELECT sum(d.amount) FROM donations d JOIN charities c ON c.id = d.charity_id
    WHERE c.id = '$charity_id' AND d.payment_status = 'completed'
      AND d.created_at >= '$month-01' AND d.created_at < '$month-01'::date + interval '1 month'")
echo "completed donations in $month: R $total"
echo "ANSWER: report-total $total"

sql -c "SELECT usename, state, count(*) FROM pg_stat_activity WHERE datname = 'impactlink_prod' GROUP BY 1, 2"
blocker=$(sql -c "SELECT DISTINCT unnest(pg_blocking_pids(pid)) FROM pg_stat_activity
    WHERE datname = 'impactlink_prod' AND wait_event_type = 'Lock'")
echo "blocking session: $blocker"
sql -c "SELECT pid, state, now() - xact_start AS open_for, left(query, 60) FROM pg_stat_activity WHERE pid = $blocker"
[ "$(sql -c "SELECT pg_terminate_backend($blocker)")" = t ]
for _ in $(seq 25); do
    [ -z "$(sql -c "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'impactlink_prod'")" ] && break
    sleep 0.2
done

pg_dump -U impactlink -d impactlink_prod -Fc -f ~/impactlink_prod.dump
pg_restore --list ~/impactlink_prod.dump | head -n 12
sudo -u postgres createdb -O impactlink impactlink_scratch
sudo -u postgres pg_restore -d impactlink_scratch < ~/impactlink_prod.dump
sudo -u postgres psql -X -d impactlink_scratch -c 'SELECT count(*), sum(amount) FROM donations;'
sql -c 'SELECT count(*), sum(amount) FROM donations;'
