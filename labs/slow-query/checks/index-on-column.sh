#!/bin/bash
# Probe: which columns lead a valid index on donations, and which of those indexes were built with
# CREATE INDEX CONCURRENTLY. The catalogs say so: a concurrent build creates the index (its
# pg_attribute rows) in one transaction and marks it ready and valid in later ones, so its pg_index
# row is newer than its pg_attribute rows; a plain CREATE INDEX writes both in one transaction.
# pg_stat_statements (or PostgreSQL's DDL log) must also hold the CONCURRENTLY statement. The platform compares the columns
# with the session's slow statement.
set -uo pipefail
PGSS="public.pg_stat_statements(true) WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'impactlink_prod')"

# One connection for the four questions.
out=$(PGOPTIONS='-c pg_stat_statements.track=none' hpsql_each impactlink_prod \
    "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proname = 'pg_stat_statements'
        AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
        AND p.probin = '\$libdir/pg_stat_statements'" \
    "SELECT count(*) FROM $PGSS AND query ~* '(update|insert|delete)' AND query ~* 'pg_(index|attribute|class)\\M'" \
    "SELECT a.attname,
        (i.xmin <> ia.xmin AND age(i.xmin) < age(ia.xmin) AND NOT i.indisclustered)
       FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = 1
      WHERE i.indrelid = 'public.donations'::regclass AND NOT i.indisprimary
        AND i.indisvalid AND i.indisready AND i.indislive" \
    "SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM $PGSS
        AND query ~* '^\\s*create\\s+(unique\\s+)?index\\s+concurrently\\s' AND query ~* '\\son\\s+(only\\s+)?(public\\.)?\"?donations\"?\\s*(using\\s+\\w+\\s*)?\\('" \
    2>/dev/null)
genuine=$(part 1 <<<"$out")
[ "$genuine" = 1 ] || tamper "pg_stat_statements is not the extension's own function"
catalog_writes=$(part 2 <<<"$out")
[ "${catalog_writes:-0}" = 0 ] || tamper "a statement wrote to the index catalogs directly"
rows=$(part 3 <<<"$out")
statements=$(part 4 <<<"$out")
# The same statements as PostgreSQL logged them (setup logs DDL), in case the statistics were reset.
logged=$(grep -hiE 'LOG:  statement: *create +(unique +)?index +concurrently ' /var/log/postgresql/postgresql-15-main.log* 2>/dev/null |
    grep -iE ' on +(only +)?(public\.)?"?donations"? *(using +[a-z]+ *)?\(' | sed 's/^.*statement: *//')
statements=$(printf '%s\n%s\n' "$statements" "$logged")
leads="" cic=""
while IFS='|' read -r column signed; do
    [ -n "$column" ] || continue
    leads="$leads $column"
    # A CONCURRENTLY statement on donations whose column list starts with this column.
    if [ "$signed" = t ] && grep -Eqi "\\(\\s*\"?$column\"?\\b" <<<"$statements"; then
        cic="$cic $column"
    fi
done <<<"$rows"
obs lead_columns "${leads# }"
obs concurrent_lead_columns "${cic# }"
exit 0
