#!/bin/bash
# Pass when pg_stat_statements has recorded an EXPLAIN ANALYZE of a donations query filtering on
# the slow query's column (EXPLAIN statements are kept there since the lab started).
count=$(runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod -c "
  SELECT count(*) FROM pg_stat_statements
   WHERE query ~* '^\\s*explain\\s*(\\(.*analy[sz]e|analy[sz]e)'
     AND query ~* 'from\\s+donations' AND query ~* '${LAB_COLUMN}'") || exit 2
echo "DETAIL: EXPLAIN ANALYZE statements on the slow query's column: $count"
if [ "$count" -gt 0 ]; then
  exit 0
fi
echo "FAIL: No EXPLAIN ANALYZE of the slow query has run yet."
echo "HINT: EXPLAIN (ANALYZE, BUFFERS) SELECT ... with the statement from pg_stat_statements and a real value for \$1."
exit 1
