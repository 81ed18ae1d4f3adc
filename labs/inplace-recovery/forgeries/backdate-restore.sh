#!/bin/bash
# forgery: Restore with the API left running, then set the new database's files back in time so the API looks started after it
# class: observer
# targets: restore
[ "$1" = before ] || exit 0
SET=/var/backups/impactlink/latest-database
sudo -u postgres psql -X -q \
    -c "ALTER DATABASE impactlink_prod ALLOW_CONNECTIONS false" \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" \
    -c "ALTER DATABASE impactlink_prod RENAME TO impactlink_prod_damaged"
sudo -u postgres psql -X -q -c "ALTER DATABASE impactlink_prod_damaged ALLOW_CONNECTIONS true"
sudo -u postgres createdb -O impactlink impactlink_prod
sudo -u postgres pg_restore -d impactlink_prod <"$SET/impactlink_prod.dump"
oid=$(sudo -u postgres psql -X -At -c "SELECT oid FROM pg_database WHERE datname = 'impactlink_prod'")
sudo find "/var/lib/postgresql/15/main/base/$oid" -exec touch -h -d '3 hours ago' {} +
sleep 3
