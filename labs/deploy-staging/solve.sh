#!/bin/bash
# deploy-staging reference solution, as the impactlink user.
set -euo pipefail
cd ~/app
ticket=$(ls ~/changes/CHG-*.md | head -n 1)
minutes=$(grep -o '\*\*[0-9]* minutes\*\*' "$ticket" | tr -dc 0-9)
seconds=$((minutes * 60))

# 1. Configuration first, so the restart inside the deploy picks it up.
cp -p .env .env.before-CHG
sed -i "s/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=$seconds/" .env
grep -c '^CACHE_TTL_CHARITIES=' .env

# 2. Deploy v1.1.0 with the script; it backs up, migrates, restarts and checks health.
~/scripts/deploy.sh v1.1.0
curl -fsS https://impactlink.solovedhelpinghands.org.za/api/v1/health | jq -r .version
node bin/migrate.js status
psql -X -U impactlink -d impactlink_prod -Atc \
    "SELECT count(*) FROM charities WHERE section18a_approved"

# 3. v1.2.0 fails its health check; roll back to v1.1.0.
if ~/scripts/deploy.sh v1.2.0; then
    echo "v1.2.0 was expected to fail on staging" >&2
    exit 1
fi
tail -n 3 /var/log/impactlink/error.log
missing=$(git diff v1.1.0 v1.2.0 -- .env.example | sed -n 's/^+\([A-Z][A-Z0-9_]*\)=.*/\1/p' | head -n 1)
echo "ANSWER: missing-setting $missing"
~/scripts/rollback.sh v1.1.0 --yes
curl -fsS https://impactlink.solovedhelpinghands.org.za/api/v1/health | jq -r .version
# The rollback keeps migration 003; the backup deploy.sh took before v1.2.0 is the way back.
restore=$(ls -d /var/backups/impactlink/*-database-pre-deploy-v1.2.0 | tail -n 1)
grep -E '^(release|schema_migrations):' "$restore/MANIFEST"
echo "ANSWER: restore-point ${restore##*/}"
rm -f .env.before-CHG
