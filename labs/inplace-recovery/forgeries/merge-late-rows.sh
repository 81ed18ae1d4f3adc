#!/bin/bash
# forgery: Build the new database from the damaged one minus the damaged table's data, and only that table from the backup
# class: shallow
# targets: restore
[ "$1" = before ] || exit 0
SET=/var/backups/impactlink/latest-database
line=$(sudo grep -o 'invalid page in block [0-9]* of relation [^ ]*' /var/log/postgresql/postgresql-15-main.log | tail -n 1)
table=$(psql -X -At -U impactlink -d impactlink_prod -c "SELECT relname FROM pg_class WHERE pg_relation_filepath(oid) = '${line##* }'")
sudo systemctl stop impactlink-api
sudo -u postgres psql -X -q \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" \
    -c "ALTER DATABASE impactlink_prod RENAME TO impactlink_prod_damaged"
sudo -u postgres createdb -O impactlink impactlink_prod
sudo -u postgres pg_dump -Fc --exclude-table-data="$table" impactlink_prod_damaged >/tmp/merge.dump
sudo -u postgres pg_restore -d impactlink_prod </tmp/merge.dump
sudo -u postgres pg_restore --data-only --disable-triggers -t "$table" -d impactlink_prod <"$SET/impactlink_prod.dump"
sudo systemctl start impactlink-api
sleep 3
