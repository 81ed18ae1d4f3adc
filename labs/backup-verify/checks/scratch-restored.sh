#!/bin/bash
# impactlink_verify must be a full restore of the newest backup: the marker donation with its
# amount, and exactly the dump's row counts (a scratch database with a hand-inserted marker fails).
sql() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
exists=$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'impactlink_verify'") || exit 2
if [ "$exists" != 1 ]; then
  echo "FAIL: There is no database called impactlink_verify yet."
  exit 1
fi
newest=""
for dir in $(ls -1d /var/backups/impactlink/2*/ 2>/dev/null | sort -r); do
  if [ -e "${dir}impactlink_prod.dump" ]; then newest=${dir%/}; break; fi
done
if [ -z "$newest" ] || ! pg_restore --list "$newest/impactlink_prod.dump" >/dev/null 2>&1; then
  echo "FAIL: Take the backup first: there is no valid dump to compare impactlink_verify with."
  exit 1
fi
amount=$(sql impactlink_verify "SELECT amount FROM donations WHERE stripe_payment_intent_id = 'pi_drill_${LAB_MARKER}'" 2>/dev/null)
if [ -z "$amount" ]; then
  echo "FAIL: impactlink_verify has no donation pi_drill_${LAB_MARKER}: it was not restored from your backup."
  exit 1
fi
if [ "$(printf '%.2f' "$amount")" != "$(printf '%.2f' "$LAB_AMOUNT")" ]; then
  echo "FAIL: The marker donation in impactlink_verify does not have the amount it has in the backup."
  exit 1
fi
for table in users charities projects donations; do
  in_dump=$(pg_restore --data-only --table=$table --file=- "$newest/impactlink_prod.dump" 2>/dev/null |
    awk '/^COPY /{copy=1; next} /^\\\.$/{copy=0} copy{n++} END{print n+0}')
  restored=$(sql impactlink_verify "SELECT count(*) FROM $table" 2>/dev/null)
  echo "DETAIL: $table dump=$in_dump restored=${restored:-missing}"
  if [ "$restored" != "$in_dump" ]; then
    echo "FAIL: impactlink_verify.$table has ${restored:-no} rows but the backup has $in_dump: the restore is incomplete or not from this backup."
    echo "HINT: Restore the whole dump as postgres; the row_counts line of MANIFEST says what to expect."
    exit 1
  fi
done
exit 0
