#!/bin/bash
# Reference solution, run as impactlink: read pg_stat_statements, index the filtered column
# (with the sort column) concurrently, and prove the plan with EXPLAIN ANALYZE.
set -euo pipefail
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
top=$(sql -F '|' -c "SELECT calls, query FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT 1")
echo "most expensive: $top"
echo "ANSWER: slow-query-calls ${top%%|*}"
column=$(grep -oE '(donor_id|charity_id) = \$1' <<<"$top" | cut -d' ' -f1)
sql -c "CREATE INDEX CONCURRENTLY idx_donations_${column%_id}_created ON donations ($column, created_at DESC)"
sql -c "ANALYZE donations"
value=$(sql -c "SELECT $column FROM donations WHERE $column IS NOT NULL LIMIT 1")
plan=$(sql -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, amount, created_at FROM donations WHERE $column = '$value' ORDER BY created_at DESC LIMIT 20")
echo "$plan"
grep -q "Index Scan using idx_donations_${column%_id}_created" <<<"$plan"
