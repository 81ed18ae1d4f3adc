#!/bin/bash
# disaster-recovery reference solution, as the impactlink user: point-in-time recovery of the
# cluster from the base backup and the WAL archive to just before the cleanup, verified while
# paused, promoted; the service back; then the incident record.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
DATA=/var/lib/postgresql/15/main
DAMAGED=/var/lib/postgresql/15/main.damaged
CONFD=/etc/postgresql/15/main/conf.d
ARCHIVE=/var/lib/postgresql/wal-archive
LOG=/var/log/postgresql/postgresql-15-main.log

# 1. Assess: when did the cleanup run? PostgreSQL logged the statement, to the millisecond.
cat ~/INCIDENT.md
stmt=$(sudo grep 'statement: DELETE FROM donations' "$LOG" | tail -n 1)
echo "$stmt"
# The first 23 characters: the time to the millisecond, in the server's time zone (PostgreSQL
# reads a target without a zone in its own time zone; it does not accept "SAST" there).
target=$(cut -c1-23 <<<"$stmt")
victim=$(grep -o "charity_id = '[^']*'" <<<"$stmt" | cut -d"'" -f2)
echo "recovery target: $target (the DELETE began then; it committed later)"
base=$(sudo find /var/backups/postgresql -mindepth 1 -maxdepth 1 -type d -name 'base-*' | sort | tail -n 1)
sudo bash -c "cd $base && sha256sum -c SHA256SUMS"

# 2. Stop writes and the database; keep the damaged cluster.
sudo systemctl stop impactlink-api
sudo systemctl stop postgresql
sudo mv "$DATA" "$DAMAGED"

# 3. Restore the base backup into a new, empty data directory owned by postgres, mode 700.
sudo install -d -o postgres -g postgres -m 700 "$DATA"
sudo -u postgres tar -xzf "$base/base.tar.gz" -C "$DATA"
sudo -u postgres tar -xzf "$base/pg_wal.tar.gz" -C "$DATA/pg_wal"

# 4. Recovery settings: replay the archive up to the target, then pause there for checking.
sudo -u postgres tee "$CONFD/recovery.conf" >/dev/null <<CONF
# Point-in-time recovery after the SEV1 cleanup. Remove once the recovery is promoted.
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'pause'
CONF
sudo -u postgres touch "$DATA/recovery.signal"
sudo systemctl start postgresql
for _ in $(seq 120); do
    [ "$(sudo -u postgres psql -X -At -c 'SELECT pg_is_wal_replay_paused()' 2>/dev/null)" = t ] && break
    sleep 0.5
done
sudo grep -E 'starting point-in-time recovery|recovery stopping|pausing at the end of recovery' "$LOG" | tail -n 3

# 5. Verify while paused (read-only): the charity's donations are back.
sudo -u postgres psql -X -At -d impactlink_prod -c "SELECT count(*), sum(amount) FROM donations WHERE charity_id = '$victim'"

# 6. Promote: end the recovery, start a new timeline; then remove the recovery settings.
sudo -u postgres psql -X -At -c 'SELECT pg_promote()'
sudo rm "$CONFD/recovery.conf"

# 7. The service: the API, a fresh cache, health through Nginx.
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
for _ in $(seq 40); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/charities/$victim" | jq -c .stats

# 8. The incident record, from what the recovery itself reported.
stopped=$(sudo grep -o 'recovery stopping before commit of transaction [0-9]*, time .*' "$LOG" | tail -n 1 | sed 's/.*, time //')
timeline=$(sudo grep -o 'selected new timeline ID: [0-9]*' "$LOG" | tail -n 1 | grep -o '[0-9]*$')
cat >~/dr-report.md <<REPORT
# Incident record: point-in-time recovery after the donations cleanup

Recovery target time: $target
Recovery stopped before: $stopped
New timeline: $timeline
Damaged cluster kept in: $DAMAGED

Base backup: $base
WAL replayed from: $ARCHIVE
Lost by the recovery: donations made after the target time (to be re-entered from the payment provider).
REPORT
cat ~/dr-report.md
