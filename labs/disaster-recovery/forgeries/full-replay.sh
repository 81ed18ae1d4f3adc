#!/bin/bash
# forgery: Restore the base backup and replay the whole WAL archive, without a recovery target
# class: teaches
# targets: recover
[ "$1" = before ] || exit 0
DATA=/var/lib/postgresql/15/main
base=$(sudo find /var/backups/postgresql -mindepth 1 -maxdepth 1 -type d -name 'base-*' | sort | tail -n 1)
sudo systemctl stop impactlink-api
sudo systemctl stop postgresql
sudo mv "$DATA" "$DATA.damaged"
sudo install -d -o postgres -g postgres -m 700 "$DATA"
sudo -u postgres tar -xzf "$base/base.tar.gz" -C "$DATA"
sudo -u postgres tar -xzf "$base/pg_wal.tar.gz" -C "$DATA/pg_wal"
echo "restore_command = 'cp /var/lib/postgresql/wal-archive/%f %p'" | sudo -u postgres tee /etc/postgresql/15/main/conf.d/recovery.conf >/dev/null
sudo -u postgres touch "$DATA/recovery.signal"
sudo systemctl start postgresql
for _ in $(seq 60); do [ "$(sudo -u postgres psql -X -At -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 0.5; done
sudo rm -f /etc/postgresql/15/main/conf.d/recovery.conf
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
