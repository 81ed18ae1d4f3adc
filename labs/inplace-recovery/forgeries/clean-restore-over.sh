#!/bin/bash
# forgery: Copy the damaged database file by file, then pg_restore --clean over the original impactlink_prod
# class: teaches
# targets: restore
[ "$1" = before ] || exit 0
SET=/var/backups/impactlink/latest-database
sudo systemctl stop impactlink-api
sudo -u postgres psql -X -q \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" \
    -c "CREATE DATABASE impactlink_prod_damaged TEMPLATE impactlink_prod STRATEGY FILE_COPY"
sudo -u postgres pg_restore --clean --if-exists -d impactlink_prod <"$SET/impactlink_prod.dump"
sudo systemctl start impactlink-api
sleep 3
