#!/bin/bash
# Probe: an EXPLAIN ANALYZE of the slow statement ran while an index on its column existed.
# pg_stat_statements keeps each EXPLAIN text with its calls and the buffers they touched: a
# sequential scan of donations touches every page of the table, so an entry whose buffers stay
# below calls x pages had at least one execution that read donations through an index (a plan
# from before the index cannot). And the index leading with that column now has been scanned by
# an executed query since it was built (pg_stat_user_indexes). The platform checks the column.
set -uo pipefail
PGSS="public.pg_stat_statements(true) WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'impactlink_prod')"
PAGES="(SELECT pg_relation_size('public.donations') / current_setting('block_size')::int)"
queries=("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proname = 'pg_stat_statements'
      AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
      AND p.probin = '\$libdir/pg_stat_statements'")
for column in donor_id charity_id; do
    queries+=("SELECT count(*) FROM $PGSS
        AND query ~* '^\\s*explain\\s*(\\(.*analy[sz]e.*\\)|analy[sz]e)'
        AND query ~* 'from\\s+(public\\.)?donations\\s+where\\s+$column\\s*='
        AND query ~* 'order\\s+by\\s+created_at\\s+desc\\s+limit\\s+20'
        AND shared_blks_hit + shared_blks_read < calls * $PAGES")
    queries+=("SELECT count(*) FROM pg_stat_user_indexes s
        JOIN pg_index i ON i.indexrelid = s.indexrelid
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE s.relid = 'public.donations'::regclass AND i.indisvalid AND a.attname = '$column' AND s.idx_scan > 0")
done
# One connection for all five questions.
out=$(PGOPTIONS='-c pg_stat_statements.track=none' hpsql_each impactlink_prod "${queries[@]}" 2>/dev/null)
[ "$(part 1 <<<"$out")" = 1 ] || tamper "pg_stat_statements is not the extension's own function"
columns="" n=2
for column in donor_id charity_id; do
    proved=$(part "$n" <<<"$out")
    used=$(part $((n + 1)) <<<"$out")
    n=$((n + 2))
    [ "${proved:-0}" -gt 0 ] && [ "${used:-0}" -gt 0 ] && columns="$columns $column"
done
obs proved_columns "${columns# }"
exit 0
