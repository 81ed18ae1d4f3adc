#!/bin/bash
# slow-query load (root): fresh statistics, then the load the complaint describes: one donations
# query, for this session's donor or charity, run $LAB_CALLS times among the API's everyday
# statements. Also the reset of the find-query task (statistics start over, same load).
set -euo pipefail
: "${LAB_COLUMN:?}" "${LAB_PICK:?}" "${LAB_CALLS:?}"
su_sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
case "$LAB_COLUMN" in
  donor_id) pick="SELECT donor_id FROM donations WHERE donor_id IS NOT NULL GROUP BY donor_id ORDER BY count(*) DESC, donor_id OFFSET $LAB_PICK LIMIT 1" ;;
  charity_id) pick="SELECT charity_id FROM donations GROUP BY charity_id ORDER BY count(*), charity_id OFFSET $LAB_PICK LIMIT 1" ;;
  *) echo "unknown column $LAB_COLUMN" >&2; exit 2 ;;
esac
target=$(su_sql -c "$pick")
load=$(mktemp)
trap 'rm -f "$load"' EXIT
{
  su_sql -c "SELECT format('SELECT id, email, user_type FROM users WHERE email = %L;', email)
             FROM users ORDER BY id LIMIT 200"
  su_sql -c "SELECT format('SELECT id, title, target_amount, raised_amount FROM projects WHERE charity_id = %L;', id)
             FROM charities ORDER BY name LIMIT 100"
  for offset in $(seq 0 20 400); do
    echo "SELECT id, name, city FROM charities WHERE verification_status = 'verified' ORDER BY name LIMIT 20 OFFSET $offset;"
  done
  for _ in $(seq 12); do
    echo "SELECT count(*), sum(amount) FROM donations WHERE created_at > now() - interval '1 day';"
  done
  for _ in $(seq "$LAB_CALLS"); do
    echo "SELECT id, amount, created_at FROM donations WHERE $LAB_COLUMN = '$target' ORDER BY created_at DESC LIMIT 20;"
  done
} >"$load"
chmod 644 "$load"
su_sql -c "SELECT pg_stat_statements_reset()" >/dev/null
# As the API's role, so the statements look like the application's own.
runuser -u impactlink -- env HOME=/home/impactlink psql -X -q -d impactlink_prod -f "$load" >/dev/null
