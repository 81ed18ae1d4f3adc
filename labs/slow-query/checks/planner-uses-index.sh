#!/bin/bash
# Probe: for each column the slow statement could filter on, EXPLAIN its shape with a real value
# and name the column that leads the index the plan reads donations through (none for a Seq Scan).
# The platform checks that the session's column is among them.
set -uo pipefail
each() { PGOPTIONS='-c pg_stat_statements.track=none' hpsql_each impactlink_prod "$@" 2>/dev/null; }
# One connection for a real value of each column and the leading column of each valid index on
# donations, then one for the plans.
found=$(each "SELECT donor_id FROM public.donations WHERE donor_id IS NOT NULL LIMIT 1" \
    "SELECT charity_id FROM public.donations WHERE charity_id IS NOT NULL LIMIT 1" \
    "SELECT c.relname, a.attname FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE n.nspname = 'public' AND i.indrelid = 'public.donations'::regclass AND i.indisvalid")
leads=$(part 3 <<<"$found")
asked=() queries=()
for column in donor_id charity_id; do
    value=$(part "$([ "$column" = donor_id ] && echo 1 || echo 2)" <<<"$found")
    [ -n "$value" ] || continue
    asked+=("$column")
    queries+=("EXPLAIN SELECT id, amount, created_at FROM public.donations WHERE $column = '$value'
                ORDER BY created_at DESC LIMIT 20")
done
plans=""
[ "${#queries[@]}" -gt 0 ] && plans=$(each "${queries[@]}")
columns=""
for n in "${!asked[@]}"; do
    column=${asked[$n]}
    plan=$(part $((n + 1)) <<<"$plans")
    for index in $(grep -oE '(Index Scan|Index Only Scan|Index Scan Backward|Bitmap Index Scan) (Backward )?(using |on )[^ ]+' <<<"$plan" | awk '{print $NF}'); do
        lead=$(awk -F'|' -v index_name="$index" '$1 == index_name { print $2; exit }' <<<"$leads")
        [ "$lead" = "$column" ] && { columns="$columns $column"; break; }
    done
done
obs planner_index_columns "${columns# }"
exit 0
