#!/bin/bash
# forgery: Take the dump, but make impactlink_scratch as a copy of the live database (CREATE DATABASE ... TEMPLATE) instead of restoring it
# class: teaches
# targets: dump-restore
[ "$1" = before ] || exit 0
pg_dump -U impactlink -d impactlink_prod -Fc -f ~/impactlink_prod.dump
# A template must have no other sessions: end them first (the API reconnects).
sudo -u postgres psql -X -q -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" >/dev/null
sudo -u postgres createdb -O impactlink -T impactlink_prod impactlink_scratch
