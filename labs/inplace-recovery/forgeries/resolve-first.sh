#!/bin/bash
# forgery: Post every update, resolved included, on time and with the cause, without recovering the service
# class: shallow
# targets: communicate
[ "$1" = before ] || exit 0
restore() { # the lesson's in-place restore, done right: this forgery is about the updates
    local set=/var/backups/impactlink/latest-database
    sudo systemctl stop impactlink-api
    sudo -u postgres psql -X -q \
        -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" \
        -c "ALTER DATABASE impactlink_prod RENAME TO impactlink_prod_damaged"
    sudo -u postgres createdb -O impactlink impactlink_prod
    sudo -u postgres pg_restore -d impactlink_prod <"$set/impactlink_prod.dump"
    sudo systemctl start impactlink-api
    for _ in $(seq 40); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' https://impactlink.solovedhelpinghands.org.za/api/v1/health)" = 200 ] && break
        sleep 0.5
    done
}
damaged_table() {
    local line
    line=$(sudo grep -o 'invalid page in block [0-9]* of relation [^ ]*' /var/log/postgresql/postgresql-15-main.log | tail -n 1)
    psql -X -At -U impactlink -d impactlink_prod -c "SELECT relname FROM pg_class WHERE pg_relation_filepath(oid) = '${line##* }'"
}
ticket=$(grep -o 'INC-[0-9]*' ~/INCIDENT.md | head -n 1)
next() { date -d '+15 min' '+%H:%M %Z'; }
table=$(damaged_table)
echo "UPDATE: investigating [$ticket] Investigating: some pages of the site fail for donors. Donations already made are safe. We are looking into it. Next update by $(next)."
echo "UPDATE: resolved [$ticket] Resolved: the cause was damage to the $table table; we restored the database from the latest backup and the site works for donors again."
