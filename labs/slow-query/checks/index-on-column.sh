#!/bin/bash
# Pass when a valid index on donations has the slow query's filter column as its first key.
sql() { runuser -u postgres -- psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d impactlink_prod -c "$1"; }
indexes=$(sql "SELECT c.relname, coalesce(a.attname, '(expression)'), i.indisvalid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = 'donations'::regclass AND NOT i.indisprimary ORDER BY 1") || exit 2
echo "DETAIL: indexes on donations (name, first column, valid): ${indexes:-none}"
good=$(awk -v col="$LAB_COLUMN" '$2 == col && $3 == "t" {print $1}' <<<"$indexes")
if [ -n "$good" ]; then
  exit 0
fi
invalid=$(awk -v col="$LAB_COLUMN" '$2 == col && $3 != "t" {print $1}' <<<"$indexes")
if [ -n "$invalid" ]; then
  echo "FAIL: Index $invalid leads with the right column but is INVALID (a failed CREATE INDEX CONCURRENTLY): drop it and build it again."
elif [ -n "$indexes" ]; then
  firsts=$(awk '{print $2}' <<<"$indexes" | sort -u | paste -sd, -)
  echo "FAIL: donations has indexes leading with $firsts, but the slow query does not filter on that."
  echo "HINT: An index helps a WHERE clause only when it starts with the column compared there."
else
  echo "FAIL: donations still has no index besides its primary key."
fi
exit 1
