#!/bin/bash
# forgery: Present a copy of live production as the "restored backup" in impactlink_verify
# class: shallow
# targets: test-restore
[ "$1" = before ] || exit 0
sudo -u postgres createdb -O impactlink impactlink_verify
sudo -u postgres pg_dump -Fc impactlink_prod | sudo -u postgres pg_restore -d impactlink_verify
amount=$(psql -X -At -d impactlink_verify -c "SELECT amount FROM donations ORDER BY created_at DESC LIMIT 1")
echo "ANSWER: ref-amount ${amount:-0}"
