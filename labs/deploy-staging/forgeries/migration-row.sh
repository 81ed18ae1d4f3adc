#!/bin/bash
# forgery: Check out v1.1.0, add the migration's columns by hand and insert its schema_migrations row, then restart
# class: shallow
# targets: deploy-v110, verify-migration
[ "$1" = before ] || exit 0
cd ~/app || exit 1
minutes=$(grep -o '\*\*[0-9]* minutes\*\*' ~/changes/CHG-*.md | tr -dc 0-9)
sed -i "s/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=$((minutes * 60))/" .env
git checkout -q v1.1.0
sum=$(sha256sum migrations/002_charity_section18a.sql | cut -d' ' -f1)
sql() { psql -X -q -v ON_ERROR_STOP=1 -U impactlink -d impactlink_prod -c "$1"; }
sql "ALTER TABLE charities ADD COLUMN section18a_approved boolean NOT NULL DEFAULT false"
sql "ALTER TABLE charities ADD COLUMN section18a_approved_at date"
sql "UPDATE charities SET section18a_approved = true, section18a_approved_at = date '2025-10-01'
      WHERE verification_status = 'verified' AND abs(hashtext(registration_number)) % 3 <> 0"
sql "INSERT INTO schema_migrations (version, name, checksum) VALUES ('002', 'charity_section18a', '$sum')"
~/scripts/backup.sh database --label pre-deploy-v1.1.0 >/dev/null
redis-cli FLUSHDB >/dev/null
sudo systemctl restart impactlink-api
impactlink-ready --wait 30 >/dev/null
echo "$(date -Is) deploy v1.1.0 ok $(git rev-parse --short HEAD)" >>~/.deploy-history
echo "[$(date '+%F %T')] === DEPLOY OK: v1.1.0 is live ===" >>/var/log/impactlink/deploy.log
