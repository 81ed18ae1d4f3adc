#!/bin/bash
# Print the index the planner uses now for this session's slow query (one leading with the
# filtered column), or a value nobody can type when there is none yet.
set -euo pipefail
case "$LAB_COLUMN" in
  donor_id) pick="SELECT donor_id AS target FROM donations WHERE donor_id IS NOT NULL GROUP BY donor_id ORDER BY count(*) DESC, donor_id OFFSET $LAB_PICK LIMIT 1" ;;
  charity_id) pick="SELECT charity_id AS target FROM donations GROUP BY charity_id ORDER BY count(*), charity_id OFFSET $LAB_PICK LIMIT 1" ;;
esac
out=$(runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod <<SQL
$pick \gset
EXPLAIN SELECT id, amount, created_at FROM donations WHERE $LAB_COLUMN = :'target' ORDER BY created_at DESC LIMIT 20;
SELECT 'INDEX ' || c.relname || ' ' || coalesce(a.attname, '-')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE i.indrelid = 'donations'::regclass AND i.indisvalid;
SQL
)
for index in $(grep -v '^INDEX ' <<<"$out" | grep -oE '(using|Bitmap Index Scan on) [^ ]+' | awk '{print $NF}'); do
  if grep -qx "INDEX $index $LAB_COLUMN" <<<"$out"; then
    echo "$index"
    exit 0
  fi
done
echo "no-index-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
