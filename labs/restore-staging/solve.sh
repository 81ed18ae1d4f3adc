#!/bin/bash
# restore-staging reference solution, on staging as the impactlink user.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
cat ~/restore-request.md >/dev/null

# 1. Find last night's backup on the share and fetch it with its checksums.
curl -sn http://prod:8080/backups/ | grep -o 'href="[^"]*/"'
backup=$(curl -sn http://prod:8080/backups/ | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
mkdir -p ~/restore && cd ~/restore
for f in impactlink_prod.dump SHA256SUMS MANIFEST; do
    curl -fsn -o "$f" "http://prod:8080/backups/$backup$f"
done

# 2. Verify before trusting it.
sha256sum -c SHA256SUMS
pg_restore --list impactlink_prod.dump | grep -c 'TABLE DATA'
grep -E 'created_at|row_counts' MANIFEST

# 3. Restore into staging's database with the API stopped.
sudo systemctl stop impactlink-api
# Two errors about the pg_stat_statements extension are expected: it belongs to postgres.
pg_restore --clean --if-exists --no-owner -U impactlink -h 127.0.0.1 -d impactlink_prod impactlink_prod.dump || true
sudo systemctl start impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB

# 4. Compare with the manifest's row counts and check the API.
psql -X -U impactlink -d impactlink_prod -Atc "SELECT 'users=' || (SELECT count(*) FROM users) || ' charities=' ||
    (SELECT count(*) FROM charities) || ' projects=' || (SELECT count(*) FROM projects) || ' donations=' ||
    (SELECT count(*) FROM donations)"
for _ in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq -c .

# 5. Support's question, from the restored data.
ref=$(grep -o 'pi_[a-z0-9]*' ~/restore-request.md | head -n 1)
amount=$(psql -X -U impactlink -d impactlink_prod -Atc "SELECT amount FROM donations WHERE stripe_payment_intent_id = '$ref'")
echo "ANSWER: support-answer $amount"
