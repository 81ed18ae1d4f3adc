#!/bin/bash
# forgery: Run EXPLAIN ANALYZE before the index exists, build the index concurrently, and after it only look at EXPLAIN without ANALYZE
# class: shallow
# targets: prove-it
[ "$1" = before ] || exit 0
sql() { psql -X -q -At -d impactlink_prod "$@"; }
column=$(sql -c "SELECT query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 1" | grep -oE '(donor_id|charity_id)')
value=$(sql -c "SELECT $column FROM donations WHERE $column IS NOT NULL LIMIT 1")
query="SELECT id, amount, created_at FROM donations WHERE $column = '$value' ORDER BY created_at DESC LIMIT 20"
sql -c "EXPLAIN (ANALYZE, BUFFERS) $query" >/dev/null
sql -c "EXPLAIN (ANALYZE, BUFFERS) $query" >/dev/null
sql -c "CREATE INDEX CONCURRENTLY idx_donations_fast ON donations ($column, created_at DESC)"
sql -c "ANALYZE donations"
sql -c "EXPLAIN $query" >/dev/null
