#!/bin/bash
# The newest backup set must hold a real pg_dump archive of impactlink_prod taken after the
# marker donation arrived: an empty, hand-made or old dump fails.
newest=""
for dir in $(ls -1d /var/backups/impactlink/2*/ 2>/dev/null | sort -r); do
  if [ -e "${dir}impactlink_prod.dump" ]; then newest=${dir%/}; break; fi
done
if [ -z "$newest" ]; then
  echo "FAIL: There is no database backup in /var/backups/impactlink yet."
  echo "HINT: Run the backup script in database mode."
  exit 1
fi
dump=$newest/impactlink_prod.dump
echo "DETAIL: newest backup $newest ($(stat -c %s "$dump") bytes)"
if [ ! -s "$dump" ]; then
  echo "FAIL: The newest backup's dump ($dump) is empty."
  exit 1
fi
if ! pg_restore --list "$dump" >/dev/null 2>&1; then
  echo "FAIL: The newest backup's dump is not a PostgreSQL custom-format archive: pg_restore cannot read it."
  exit 1
fi
if ! pg_restore --data-only --table=donations --file=- "$dump" 2>/dev/null | grep -q "pi_drill_${LAB_MARKER}"; then
  echo "FAIL: The newest backup does not contain donation pi_drill_${LAB_MARKER}: it was not taken from impactlink_prod after the lab started."
  exit 1
fi
exit 0
