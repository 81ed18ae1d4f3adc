#!/bin/bash
# database-basics setup (root): the finance ticket's data (a few late donations to this session's
# charity in its month, one of them still pending and one just after midnight at the month's
# end), and an old import table of this session's size left in the database, so the size and the
# report total are this session's own.
set -euo pipefail
: "${LAB_CHARITY:?}" "${LAB_MONTH:?}" "${LAB_EXTRA:?}" "${LAB_PAD:?}"
sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
charity=${LAB_CHARITY//\'/\'\'}
[[ $LAB_MONTH =~ ^[0-9]{4}-[0-9]{2}$ ]] || { echo "bad month $LAB_MONTH" >&2; exit 2; }
amount() { echo "$((RANDOM % 4900 + 50)).$((RANDOM % 90 + 10))"; }
rows=""
for _ in $(seq "$LAB_EXTRA"); do
    day=$((RANDOM % 27 + 1)) hour=$((RANDOM % 23))
    rows="$rows('completed', $(amount), '$LAB_MONTH-01'::timestamp + interval '$((day - 1)) days $hour hours'),"
done
# Not in the report: a pending donation inside the month, and a completed one 30 minutes into the
# next month in server time (still the report's month in UTC).
rows="$rows('pending', $(amount), '$LAB_MONTH-15 10:00'),"
rows="$rows('completed', $(amount), ('$LAB_MONTH-01'::date + interval '1 month') + interval '30 minutes')"
sql <<SQL
SET TIME ZONE 'Africa/Johannesburg';
INSERT INTO donations (donor_id, charity_id, amount, net_amount, transaction_fee, payment_method,
                       payment_status, stripe_payment_intent_id, created_at, updated_at)
SELECT (SELECT id FROM users WHERE user_type = 'donor' ORDER BY random() LIMIT 1), c.id, v.amount,
       round(v.amount * 0.97, 2), round(v.amount * 0.03, 2), 'credit_card', v.status,
       'pi_' || substr(md5(random()::text), 1, 24), v.at, v.at
  FROM charities c, (VALUES $rows) AS v(status, amount, at)
 WHERE c.name = '$charity';
CREATE TABLE donations_import_2024 (line integer, batch text, payload text);
INSERT INTO donations_import_2024
SELECT g, 'import-2024-' || (g % 97), md5(g::text || random()::text) || md5(random()::text)
  FROM generate_series(1, $LAB_PAD * 9300) g;
ALTER TABLE donations_import_2024 OWNER TO impactlink;
ANALYZE donations_import_2024;
SQL
