#!/bin/bash
# disaster-recovery reference solution, as the impactlink user: point-in-time recovery of the
# cluster to just before the cleanup, then the report.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
DATA=/var/lib/postgresql/15/main
CONFD=/etc/postgresql/15/main/conf.d
ARCHIVE=/var/lib/postgresql/wal-archive
started=$(date '+%Y-%m-%d %H:%M:%S %Z')

# 1. Assess: when did the cleanup run? PostgreSQL logged the statement.
cat ~/INCIDENT.md
stmt=$(sudo grep 'statement: DELETE FROM donations' /var/log/postgresql/postgresql-15-main.log | tail -n 1)
echo "$stmt"
target=$(cut -c1-23 <<<"$stmt")            # "YYYY-MM-DD HH:MM:SS.mmm", the server's time zone
echo "recovery target: $target (just before the DELETE; it committed after this instant)"
base=/var/backups/postgresql/$(sudo ls /var/backups/postgresql | grep '^base-' | sort | tail -n 1)
sudo bash -c "cd $base && sha256sum -c SHA256SUMS"

# 2. Make sure the WAL up to the incident is in the archive, then stop everything.
sudo -u postgres psql -X -Atc 'SELECT pg_switch_wal()'
sleep 1
sudo systemctl stop impactlink-api
sudo systemctl stop postgresql

# 3. Keep the damaged cluster, lay down the base backup, configure recovery.
sudo mv "$DATA" "$DATA.damaged-$(date +%H%M%S)"
sudo install -d -o postgres -g postgres -m 700 "$DATA"
sudo -u postgres tar -xzf "$base/base.tar.gz" -C "$DATA"
sudo -u postgres tar -xzf "$base/pg_wal.tar.gz" -C "$DATA/pg_wal"
sudo -u postgres tee "$CONFD/zz-recovery.conf" >/dev/null <<CONF
# Point-in-time recovery (SEV1 cleanup). Remove after the recovery is complete.
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
sudo -u postgres touch "$DATA/recovery.signal"
sudo systemctl start postgresql
for _ in $(seq 60); do
    [ "$(sudo -u postgres psql -X -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
    sleep 1
done
sudo grep -E 'starting point-in-time recovery|recovery stopping|archive recovery complete' /var/log/postgresql/postgresql-15-main.log | tail -n 3 || true
sudo rm "$CONFD/zz-recovery.conf"

# 4. Verify before opening the doors: the charity's donations are back.
source <(sudo grep -o "charity_id = '[^']*'" /var/log/postgresql/postgresql-15-main.log | tail -n 1 | sed "s/charity_id = /victim=/")
psql -X -U impactlink -d impactlink_prod -Atc "SELECT count(*) FROM donations WHERE charity_id = '$victim'"
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
for _ in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/charities/$victim" | jq -c .stats
restored=$(date '+%Y-%m-%d %H:%M:%S %Z')

# 5. The report.
minutes=$(( ($(date -d "${restored% *}" +%s) - $(date -d "${started% *}" +%s) + 59) / 60 ))
verdict=met
[ "$minutes" -le 60 ] || verdict=missed
cat >~/dr-report.md <<REPORT
# DR test report: point-in-time recovery after the donations cleanup

Recovery target time: $target SAST
Restore started: $started
Service restored: $restored
Recovery time (RTO): $minutes min (target: 60 min, $verdict)

Base backup: $base
WAL replayed from: $ARCHIVE
Damaged cluster kept in: $(sudo find /var/lib/postgresql/15 -maxdepth 1 -name 'main.damaged-*' | tail -n 1)
Lost by the recovery: donations made after the target time (to be re-entered from the payment provider).
REPORT
cat ~/dr-report.md
