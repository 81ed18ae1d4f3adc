#!/bin/bash
# Probe: for each column the slow statement could filter on, EXPLAIN its shape with a real value
# and name the column that leads the index the plan reads donations through (none for a Seq Scan).
# The platform checks that the session's column is among them.
set -uo pipefail
sql() { PGOPTIONS='-c pg_stat_statements.track=none' hpsql impactlink_prod "$1"; }
columns=""
for column in donor_id charity_id; do
    value=$(sql "SELECT $column FROM public.donations WHERE $column IS NOT NULL LIMIT 1" 2>/dev/null)
    [ -n "$value" ] || continue
    plan=$(sql "EXPLAIN SELECT id, amount, created_at FROM public.donations WHERE $column = '$value'
                ORDER BY created_at DESC LIMIT 20" 2>/dev/null)
    for index in $(grep -oE '(Index Scan|Index Only Scan|Index Scan Backward|Bitmap Index Scan) (Backward )?(using |on )[^ ]+' <<<"$plan" | awk '{print $NF}'); do
        lead=$(sql "SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indexrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = 'public' AND c.relname = '$index')
              AND i.indrelid = 'public.donations'::regclass AND i.indisvalid" 2>/dev/null)
        [ "$lead" = "$column" ] && { columns="$columns $column"; break; }
    done
done
obs planner_index_columns "${columns# }"
exit 0
