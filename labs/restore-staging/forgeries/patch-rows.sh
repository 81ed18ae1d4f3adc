#!/bin/bash
# forgery: Fetch the real backup, but instead of restoring it copy only the rows that differ (the marker donations, the charity's total) into staging
# class: shallow
# targets: restore
[ "$1" = before ] || exit 0
backup=$(curl -sn http://prod:8080/backups/ | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
mkdir -p ~/restore && cd ~/restore
for f in impactlink_prod.dump SHA256SUMS MANIFEST; do curl -fsn -o "$f" "http://prod:8080/backups/$backup$f"; done
sudo -u postgres createdb -O impactlink scratch
sudo -u postgres pg_restore -d scratch <impactlink_prod.dump
# Rows the backup has that staging lacks, and the charities whose totals changed.
sudo -u postgres psql -X -q -d impactlink_prod -c "COPY (SELECT id FROM donations) TO STDOUT" >/var/tmp/staging-ids
sudo -u postgres psql -X -q -d scratch -c "CREATE TABLE staging_ids (id uuid)"
sudo -u postgres psql -X -q -d scratch -c "COPY staging_ids FROM STDIN" </var/tmp/staging-ids
sudo -u postgres psql -X -q -d scratch -c "COPY (SELECT d.* FROM donations d WHERE NOT EXISTS (SELECT 1 FROM staging_ids s WHERE s.id = d.id)) TO STDOUT" |
    sudo -u postgres psql -X -q -d impactlink_prod -c "COPY donations FROM STDIN"
sudo -u postgres psql -X -At -d scratch -c "SELECT format('UPDATE charities SET total_donations_received = %s, updated_at = %L WHERE id = %L;', total_donations_received, updated_at, id) FROM charities" |
    sudo -u postgres psql -X -q -d impactlink_prod
sudo systemctl restart impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
ref=$(grep -o 'pi_[a-z0-9]*' ~/restore-request.md | head -n 1)
echo "ANSWER: support-answer $(psql -X -At -U impactlink -d impactlink_prod -c "SELECT amount FROM donations WHERE stripe_payment_intent_id = '$ref'")"
