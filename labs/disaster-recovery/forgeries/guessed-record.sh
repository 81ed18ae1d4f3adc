#!/bin/bash
# forgery: Do the recovery, but write the incident record from guesses (the stop time taken as the DELETE's logged start, timeline 2) instead of what the recovery reported
# class: answers
# targets: report
[ "$1" = before ] || exit 0
DATA=/var/lib/postgresql/15/main
LOG=/var/log/postgresql/postgresql-15-main.log
stmt=$(sudo grep 'statement: DELETE FROM donations' "$LOG" | tail -n 1 | cut -d' ' -f1-3)
target=$(date -d "$stmt" '+%F %T.%3N%:z')
base=$(sudo find /var/backups/postgresql -mindepth 1 -maxdepth 1 -type d -name 'base-*' | sort | tail -n 1)
sudo systemctl stop impactlink-api
sudo systemctl stop postgresql
sudo mv "$DATA" "$DATA.old"
sudo install -d -o postgres -g postgres -m 700 "$DATA"
sudo -u postgres tar -xzf "$base/base.tar.gz" -C "$DATA"
sudo -u postgres tar -xzf "$base/pg_wal.tar.gz" -C "$DATA/pg_wal"
sudo -u postgres tee /etc/postgresql/15/main/conf.d/recovery.conf >/dev/null <<CONF
restore_command = 'cp /var/lib/postgresql/wal-archive/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
sudo -u postgres touch "$DATA/recovery.signal"
sudo systemctl start postgresql
for _ in $(seq 60); do [ "$(sudo -u postgres psql -X -At -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 0.5; done
sudo rm -f /etc/postgresql/15/main/conf.d/recovery.conf
sudo systemctl start impactlink-api
# Guessed: the recovery stopped "at the DELETE", on "the next" timeline, the old cluster "somewhere".
cat >~/dr-report.md <<REPORT
Recovery target time: $target
Recovery stopped before: $stmt
New timeline: 2
Damaged cluster kept in: /var/lib/postgresql/15/main.damaged
REPORT
