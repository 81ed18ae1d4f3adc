#!/bin/bash
# inplace-recovery reference solution, part 2 (as impactlink): find the damaged table from the
# checksum error, verify the latest backup, stop the API, keep the damaged database under another
# name, restore the backup into a new impactlink_prod, verify it against the MANIFEST, start the
# API, check health through Nginx; status updates along the way.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
LOG=/var/log/postgresql/postgresql-15-main.log
SET=/var/backups/impactlink/latest-database
ticket=$(grep -o 'INC-[0-9]*' ~/INCIDENT.md | head -n 1)
q() { psql -X -At -U impactlink -d impactlink_prod -c "$1"; }

# 1. Assess: PostgreSQL names the damaged file; the catalogue says which table it is.
line=$(sudo grep -o 'invalid page in block [0-9]* of relation [^ ]*' "$LOG" | tail -n 1)
echo "$line"
file=${line##* }
table=$(q "SELECT relname FROM pg_class WHERE pg_relation_filepath(oid) = '$file'")
echo "damaged table: $table"
(cd "$SET" && sha256sum -c SHA256SUMS)
pg_restore --list "$SET/impactlink_prod.dump" | grep -c 'TABLE DATA'
echo "UPDATE: identified [$ticket] Identified: part of the $table table in the database is damaged, so pages that read it fail for donors. We are restoring the database from the latest verified backup; the site is briefly unavailable while we do. Next update by $(date -d '+15 min' '+%H:%M %Z')."

# 2. Stop: nothing may write during the restore.
sudo systemctl stop impactlink-api

# 3. Keep the damaged database under another name; restore the backup into a new one.
sudo -u postgres psql -X -q \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" \
    -c "ALTER DATABASE impactlink_prod RENAME TO impactlink_prod_damaged"
sudo -u postgres createdb -O impactlink impactlink_prod
sudo -u postgres pg_restore -d impactlink_prod <"$SET/impactlink_prod.dump"

# 4. Verify: row counts as the MANIFEST recorded them, the schema as the release expects.
counts=$(q "SELECT 'users=' || (SELECT count(*) FROM users) || ' charities=' || (SELECT count(*) FROM charities)
         || ' projects=' || (SELECT count(*) FROM projects) || ' donations=' || (SELECT count(*) FROM donations)")
manifest=$(sed -n 's/^row_counts: //p' "$SET/MANIFEST")
echo "restored: $counts"
echo "manifest: $manifest"
[ "$counts" = "$manifest" ]
q 'SELECT version FROM schema_migrations ORDER BY 1'
newest=$(q 'SELECT max(created_at) FROM donations')
late=$(sudo -u postgres psql -X -At -d impactlink_prod_damaged -c "SELECT count(*) FROM donations WHERE created_at > '$newest'")
echo "donations in the damaged copy only: $late"

# 5. Start the API and check health through Nginx.
sudo systemctl start impactlink-api
for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq -c .
curl -s -o /dev/null -w '%{http_code}\n' "https://$DOMAIN/api/v1/$table?limit=5"
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
echo "UPDATE: monitoring [$ticket] Monitoring: the site works again for donors. Donations made in the last minutes before the restore are being re-entered by hand. We are watching the error logs. Next update by $(date -d '+15 min' '+%H:%M %Z')."
echo "UPDATE: resolved [$ticket] Resolved: the cause was damage to the $table table in the database; we restored it from the latest verified backup and the site is working for donors again. $late donations made after that backup were kept aside and will be re-entered. A review follows within 48 hours."
