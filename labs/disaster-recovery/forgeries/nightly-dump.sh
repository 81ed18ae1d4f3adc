#!/bin/bash
# forgery: Restore last night's logical backup over production instead of a point-in-time recovery
# class: teaches
# targets: recover
[ "$1" = before ] || exit 0
dump=$(ls -1d /var/backups/impactlink/2*/ | sort | tail -n 1)impactlink_prod.dump
sudo systemctl stop impactlink-api
sudo -u postgres pg_restore --clean --if-exists -d impactlink_prod <"$dump"
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
