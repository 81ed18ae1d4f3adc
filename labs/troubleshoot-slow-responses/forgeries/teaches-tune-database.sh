#!/bin/bash
# forgery: Blame the database: ANALYZE, add an index, flush Redis and restart the API and PostgreSQL, without looking at Nginx
# class: teaches
# targets: fix-the-delay
set -uo pipefail
[ "${1:-}" = before ] || exit 0
psql -X -q -d impactlink_prod -c 'ANALYZE' -c 'CREATE INDEX IF NOT EXISTS charities_name_idx ON charities (name)' || true
redis-cli FLUSHDB >/dev/null || true
sudo systemctl restart postgresql
sudo systemctl restart impactlink-api
sleep 5
echo "ANSWER: slowing-directive pg_stat_statements"
