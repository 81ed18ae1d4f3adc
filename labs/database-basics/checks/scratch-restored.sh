#!/bin/bash
# Probe: impactlink_scratch exists, has every table of impactlink_prod, was made by a restore (its
# tables are new objects: a copy made with CREATE DATABASE ... TEMPLATE keeps the live tables'
# object ids), and its donations are exactly those in ~/impactlink_prod.dump (ids compared).
set -uo pipefail
dump=/home/impactlink/impactlink_prod.dump
exists=$(hpsql postgres "SELECT count(*) FROM pg_database WHERE datname = 'impactlink_scratch'" 2>/dev/null)
obs scratch_exists "${exists:-0}"
[ "$exists" = 1 ] || exit 0
tables() { hpsql "$1" "SELECT c.oid || ' ' || c.relname FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY c.relname" 2>/dev/null; }
live=$(tables impactlink_prod)
scratch=$(tables impactlink_scratch)
missing=$(comm -23 <(awk '{print $2}' <<<"$live" | sort) <(awk '{print $2}' <<<"$scratch" | sort) | grep -c .)
obs scratch_missing_tables "$missing"
# A restore creates every table anew; a template copy keeps the oids of the live ones.
same=$(comm -12 <(sort <<<"$live") <(sort <<<"$scratch") | grep -c .)
obs scratch_restored "$([ -n "$scratch" ] && [ "$same" = 0 ] && echo 1 || echo 0)"
matches=0
if [ -f "$dump" ] && [ ! -L "$dump" ]; then
    in_dump=$(pg_restore -a -t donations -f - "$dump" 2>/dev/null |
        awk '/^COPY public\.donations /{c = 1; next} /^\\\.$/{c = 0} c {print $1}' | sort | md5sum)
    in_scratch=$(hpsql impactlink_scratch "SELECT id FROM public.donations" 2>/dev/null | sort | md5sum)
    [ -n "$(hpsql impactlink_scratch "SELECT 1 FROM public.donations LIMIT 1" 2>/dev/null)" ] &&
        [ "$in_dump" = "$in_scratch" ] && matches=1
fi
obs scratch_matches_dump "$matches"
exit 0
