#!/bin/bash
# disaster-recovery setup (root): WAL archiving on, a base backup, a day's activity, then a
# destructive DELETE of one charity's donations at a logged moment, and more activity after it.
# What the checks need is kept in /root/.dr-lab (root only).
set -euo pipefail
: "${LAB_MARKER:?}" "${LAB_CHARITY:?}" "${LAB_BEFORE:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ ]]
PGCONF=/etc/postgresql/15/main
ARCHIVE=/var/lib/postgresql/wal-archive
BASE=/var/backups/postgresql
DOMAIN=impactlink.solovedhelpinghands.org.za
as_pg() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }

# 1. WAL archiving, as the DR plan has always claimed it was.
install -d -o postgres -g postgres -m 700 "$ARCHIVE"
cat >"$PGCONF/conf.d/archiving.conf" <<CONF
# Continuous archiving for point-in-time recovery (DR plan, section 4).
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'
archive_timeout = 60
CONF
chown postgres:postgres "$PGCONF/conf.d/archiving.conf"
grep -q '^local[[:space:]]\+replication[[:space:]]\+postgres' "$PGCONF/pg_hba.conf" ||
    sed -i '/^local[[:space:]]\+all[[:space:]]\+postgres/a local   replication     postgres                                peer' "$PGCONF/pg_hba.conf"
systemctl restart postgresql
impactlink-ready --wait 30

# 2. The nightly base backup.
install -d -o postgres -g postgres -m 750 "$BASE"
stamp=$(date +%Y%m%d-%H%M%S)
runuser -u postgres -- pg_basebackup -D "$BASE/base-$stamp" -Ft -z -X stream -c fast -l "nightly base backup $stamp"
runuser -u postgres -- bash -c "cd $BASE/base-$stamp && sha256sum *.tar.gz backup_manifest >SHA256SUMS"

# 3. The day's activity: donations through the API.
pick=$(as_pg -c "SELECT count(*) FROM charities WHERE verification_status = 'verified'")
read -r victim other < <(as_pg -F ' ' -c "
    SELECT (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number
             OFFSET $LAB_CHARITY % $pick LIMIT 1),
           (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number
             OFFSET ($LAB_CHARITY + 7) % $pick LIMIT 1)")
for i in $(seq 24); do
    charity=$other
    [ $((i % 3)) = 0 ] && charity=$victim
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"charity_id\":\"$charity\",\"amount\":$((50 + i * 13)),\"payment_method\":\"debit_card\"}" \
        "https://$DOMAIN/api/v1/donations"
done

# 4. Just before the incident: this session's donations to the charity that is about to lose them.
as_pg -q <<SQL
INSERT INTO donations (id, charity_id, amount, currency, transaction_fee, net_amount, payment_method,
                       payment_status, stripe_payment_intent_id, is_anonymous)
SELECT md5('$LAB_MARKER:before:' || i)::uuid, '$victim', 200 + i, 'ZAR', 0, 200 + i, 'bank_transfer',
       'completed', 'pi_${LAB_MARKER}_before_' || i, false
  FROM generate_series(1, $LAB_BEFORE) AS i;
SQL
before_at=$(date +%s.%N)
expected=$(as_pg -F ' ' -c "SELECT count(*), md5(string_agg(id::text || ':' || amount || ':' || payment_status, ',' ORDER BY id))
                            FROM donations WHERE charity_id = '$victim'")
sleep 2

# 5. The incident: a "cleanup" run as postgres, with statement logging on for that session.
# The window for a correct target ends when the DELETE has committed (autocommit, so at once).
delete_at=$(runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod <<SQL
SET log_statement = 'all';
DELETE FROM donations WHERE charity_id = '$victim';
SELECT extract(epoch FROM clock_timestamp());
SQL
)
sleep 2

# 6. Business goes on: donations that arrive after the incident.
as_pg -q <<SQL
INSERT INTO donations (id, charity_id, amount, currency, transaction_fee, net_amount, payment_method,
                       payment_status, stripe_payment_intent_id, is_anonymous)
SELECT md5('$LAB_MARKER:after:' || i)::uuid, '$other', 300 + i, 'ZAR', 0, 300 + i, 'bank_transfer',
       'completed', 'pi_${LAB_MARKER}_after_' || i, false
  FROM generate_series(1, 4) AS i;
SQL
for i in $(seq 6); do
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"charity_id\":\"$other\",\"amount\":$((70 + i)),\"payment_method\":\"credit_card\"}" \
        "https://$DOMAIN/api/v1/donations"
done
as_pg -c 'SELECT pg_switch_wal()' >/dev/null

name=$(as_pg -c "SELECT name FROM charities WHERE id = '$victim'")
umask 077
cat >/root/.dr-lab <<STATE
VICTIM=$victim
$(printf 'VICTIM_NAME=%q' "$name")
EXPECTED_COUNT=${expected%% *}
EXPECTED_DIGEST=${expected##* }
SYSTEM_ID=$(as_pg -c 'SELECT system_identifier FROM pg_control_system()')
BEFORE_AT=$before_at
DELETE_AT=$delete_at
INCIDENT_REPORTED_AT=$(date +%s)
STATE

cat >/home/impactlink/INCIDENT.md <<NOTE
# SEV1: donations of "$name" gone

Reported $(date '+%Y-%m-%d %H:%M %Z') by the charity's administrator: their dashboard shows no
donations at all. Support ran a "cleanup" against production a few minutes ago and thinks it may
have matched more rows than intended.

The incident commander has decided: **point-in-time recovery of the database to just before the
cleanup**. Donations made after the cleanup will be lost by the recovery and re-entered from the
payment provider afterwards; that has been accepted. Run it as this quarter's DR test, and write
the report.

- Base backups: /var/backups/postgresql/
- WAL archive:  /var/lib/postgresql/wal-archive/
- RTO target for database corruption/loss (DR plan): 60 minutes
NOTE
chown impactlink:impactlink /home/impactlink/INCIDENT.md
