#!/bin/bash
# forgery: Restore into a new database and point the API at it, leaving staging's impactlink_prod as it was
# class: teaches
# targets: restore
[ "$1" = before ] || exit 0
backup=$(curl -sn http://prod:8080/backups/ | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
mkdir -p ~/restore && cd ~/restore
for f in impactlink_prod.dump SHA256SUMS MANIFEST; do curl -fsn -o "$f" "http://prod:8080/backups/$backup$f"; done
sudo -u postgres createdb -O impactlink impactlink_restored
sudo -u postgres pg_restore -d impactlink_restored <impactlink_prod.dump
sed -i 's#/impactlink_prod#/impactlink_restored#' ~/app/.env
sudo systemctl restart impactlink-api
redis-cli --no-auth-warning -a "$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)" FLUSHDB
ref=$(grep -o 'pi_[a-z0-9]*' ~/restore-request.md | head -n 1)
echo "ANSWER: support-answer $(psql -X -At -U impactlink -d impactlink_restored -c "SELECT amount FROM donations WHERE stripe_payment_intent_id = '$ref'")"
