#!/bin/bash
# Probe: ~/impactlink_prod.dump is a pg_dump custom-format archive of impactlink_prod that holds
# the data of every table the live database has (read with pg_restore in the probe).
set -uo pipefail
dump=/home/impactlink/impactlink_prod.dump
format=none
if [ -f "$dump" ] && [ ! -L "$dump" ] && [ "$(head -c 5 "$dump" 2>/dev/null)" = PGDMP ] && list=$(pg_restore --list "$dump" 2>/dev/null); then
    format=custom
fi
obs dump_format "$format"
[ "$format" = custom ] || exit 0
obs dump_database "$(sed -n 's/^;[[:space:]]*dbname: //p' <<<"$list" | head -n 1)"
missing=0
for table in $(hpsql impactlink_prod "SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'" 2>/dev/null); do
    grep -Eq "TABLE DATA public $table " <<<"$list" || missing=$((missing + 1))
done
obs dump_missing_tables "$missing"
exit 0
