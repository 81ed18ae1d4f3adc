#!/bin/bash
# Migration 002 was applied by the migration runner (recorded with the release's checksum) and
# its backfill ran: not an ALTER TABLE typed by hand.
set -uo pipefail
psql_q() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod -c "$1" 2>&1; }

file_sum=$(runuser -u impactlink -- git -C /home/impactlink/app show v1.1.0:migrations/002_charity_section18a.sql | sha256sum | cut -d' ' -f1)
row=$(psql_q "SELECT checksum FROM schema_migrations WHERE version = '002'")
if [ -z "$row" ]; then
    echo "FAIL: schema_migrations has no row for migration 002: it has not been applied."
    echo "HINT: The deploy script runs node bin/migrate.js; check its output in /var/log/impactlink/deploy.log."
    exit 1
fi
if [ "$row" != "$file_sum" ]; then
    echo "FAIL: migration 002 is recorded with a checksum that is not the one of v1.1.0's file."
    echo "DETAIL: recorded $row, release file $file_sum"
    exit 1
fi
columns=$(psql_q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'charities'
                  AND column_name IN ('section18a_approved', 'section18a_approved_at')")
if [ "$columns" != 2 ]; then
    echo "FAIL: charities lacks the Section 18A columns that migration 002 adds."
    exit 1
fi
backfill=$(psql_q "SELECT (SELECT count(*) FROM charities WHERE section18a_approved)
                  || ' ' || (SELECT count(*) FROM charities WHERE verification_status = 'verified'
                             AND abs(hashtext(registration_number)) % 3 <> 0)")
read -r got want <<<"$backfill"
if [ "$got" != "$want" ] || [ "$got" = 0 ]; then
    echo "FAIL: $got charities are marked Section 18A approved; the migration's backfill gives $want."
    exit 1
fi
echo "DETAIL: 002 applied with checksum ${row:0:12}, $got charities approved"
