#!/bin/bash
# forgery: Restore correctly and restart the API, but skip flushing Redis (staging's old charity lists stay cached)
# class: teaches
# targets: restore
[ "$1" = before ] || exit 0
backup=$(curl -sn http://prod:8080/backups/ | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
mkdir -p ~/restore && cd ~/restore
for f in impactlink_prod.dump SHA256SUMS MANIFEST; do curl -fsn -o "$f" "http://prod:8080/backups/$backup$f"; done
sha256sum -c SHA256SUMS
sudo systemctl stop impactlink-api
pg_restore --clean --if-exists --no-owner -U impactlink -h 127.0.0.1 -d impactlink_prod impactlink_prod.dump || true
sudo systemctl start impactlink-api
ref=$(grep -o 'pi_[a-z0-9]*' ~/restore-request.md | head -n 1)
echo "ANSWER: support-answer $(psql -X -At -U impactlink -d impactlink_prod -c "SELECT amount FROM donations WHERE stripe_payment_intent_id = '$ref'")"
