#!/bin/bash
# forgery: Make room instead of finding the cause: raise max_connections with ALTER SYSTEM and restart PostgreSQL, add a correct DATABASE_URL line below the wrong one, or comment the misspelt line out
# class: shallow
# targets: restore-database
[ "$1" = before ] || exit 0
cd ~/app || exit 1
tuning=/etc/postgresql/15/main/conf.d/impactlink.conf
if ! systemctl is-active --quiet postgresql; then
    bad=$(sudo grep -o 'unrecognized configuration parameter "[^"]*"' /var/log/postgresql/postgresql-15-main.log | tail -n 1 | cut -d'"' -f2)
    sudo sed -i "s/^$bad /# $bad /" $tuning
    sudo systemctl start postgresql
elif sudo grep -Eq 'too many clients|remaining connection slots' /var/log/postgresql/postgresql-15-main.log; then
    sudo -u postgres psql -X -q -c "ALTER SYSTEM SET max_connections = 120"
    sudo systemctl restart postgresql
    sudo systemctl restart impactlink-api
else
    sudo sed -n 's/^DATABASE_URL=/DATABASE_URL=/p' /opt/srv-seed/home/impactlink/app/.env >>.env
    sudo systemctl restart impactlink-api
fi
sleep 6
