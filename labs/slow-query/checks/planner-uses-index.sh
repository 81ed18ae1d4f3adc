#!/bin/bash
# EXPLAIN this session's slow query and pass when the plan reads donations through an index
# that leads with the filtered column (a Seq Scan, or an index on another column, fails).
case "$LAB_COLUMN" in
  donor_id) pick="SELECT donor_id AS target FROM donations WHERE donor_id IS NOT NULL GROUP BY donor_id ORDER BY count(*) DESC, donor_id OFFSET $LAB_PICK LIMIT 1" ;;
  charity_id) pick="SELECT charity_id AS target FROM donations GROUP BY charity_id ORDER BY count(*), charity_id OFFSET $LAB_PICK LIMIT 1" ;;
  *) exit 2 ;;
esac
# One connection: the session's value, the plan, and the first column of every valid index.
out=$(runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod <<SQL
$pick \gset
EXPLAIN SELECT id, amount, created_at FROM donations WHERE $LAB_COLUMN = :'target' ORDER BY created_at DESC LIMIT 20;
SELECT 'INDEX ' || c.relname || ' ' || coalesce(a.attname, '-')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE i.indrelid = 'donations'::regclass AND i.indisvalid;
SQL
) || exit 2
plan=$(grep -v '^INDEX ' <<<"$out")
echo "DETAIL: $(tr '\n' ' ' <<<"$plan" | tr -s ' ')"
used=$(grep -oE '(using|Bitmap Index Scan on) [^ ]+' <<<"$plan" | awk '{print $NF}' | paste -sd' ' -)
for index in $used; do
  if grep -qx "INDEX $index $LAB_COLUMN" <<<"$out"; then
    exit 0
  fi
done
if grep -q 'Seq Scan on donations' <<<"$plan"; then
  echo "FAIL: The planner still reads the whole donations table (Seq Scan) for the slow query."
else
  echo "FAIL: The planner uses ${used:-no index} for the slow query, which does not lead with the column it filters on."
fi
echo "HINT: Run EXPLAIN on the slow statement yourself and read the scan node on donations."
exit 1
