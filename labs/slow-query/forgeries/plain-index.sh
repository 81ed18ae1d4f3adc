#!/bin/bash
# forgery: Build the index without CONCURRENTLY (everything else as the lab asks: right columns, ANALYZE, EXPLAIN ANALYZE after)
# class: teaches
# targets: add-index
[ "$1" = before ] || exit 0
sql() { psql -X -q -At -d impactlink_prod "$@"; }
column=$(sql -c "SELECT query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 1" | grep -oE '(donor_id|charity_id)')
sql -c "CREATE INDEX idx_donations_fast ON donations ($column, created_at DESC)"
sql -c "ANALYZE donations"
value=$(sql -c "SELECT $column FROM donations WHERE $column IS NOT NULL LIMIT 1")
sql -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, amount, created_at FROM donations WHERE $column = '$value' ORDER BY created_at DESC LIMIT 20" >/dev/null
