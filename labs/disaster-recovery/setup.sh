#!/bin/bash
# disaster-recovery setup (root): WAL archiving on, last night's logical backup and a base
# backup, a day's activity, this session's donations just before the incident, a destructive
# DELETE of one charity's donations at a logged moment, and business going on after it.
# Nothing is kept for the checks: they read the cluster, its control file and the backups.
set -euo pipefail
: "${LAB_MARKER:?}" "${LAB_CHARITY:?}" "${LAB_BEFORE:?}" "${LAB_BEFORE_TOTAL:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ && $LAB_BEFORE =~ ^[0-9]+$ && $LAB_BEFORE_TOTAL =~ ^[0-9]+$ ]]
PGCONF=/etc/postgresql/15/main
ARCHIVE=/var/lib/postgresql/wal-archive
BASE=/var/backups/postgresql
DOMAIN=impactlink.solovedhelpinghands.org.za
as_pg() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
donate() { # charity amount method
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"charity_id\":\"$1\",\"amount\":$2,\"payment_method\":\"$3\"}" "https://$DOMAIN/api/v1/donations"
}

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
impactlink-ready --wait 150 >/dev/null

# 2. Last night's logical backup (the nightly job) and the base backup for PITR.
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database --label nightly >/dev/null
install -d -o postgres -g postgres -m 750 "$BASE"
stamp=$(date +%Y%m%d-%H%M%S)
runuser -u postgres -- pg_basebackup -D "$BASE/base-$stamp" -Ft -z -X stream -c fast -l "nightly base backup $stamp"
runuser -u postgres -- bash -c "cd $BASE/base-$stamp && sha256sum *.tar.gz backup_manifest >SHA256SUMS"

# 3. The day's activity: donations through the API, every third one to the charity at risk.
verified=$(as_pg -c "SELECT count(*) FROM charities WHERE verification_status = 'verified'")
read -r victim other < <(as_pg -F ' ' -c "
    SELECT (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number
             OFFSET $LAB_CHARITY % $verified LIMIT 1),
           (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number
             OFFSET ($LAB_CHARITY + 7) % $verified LIMIT 1)")
for i in $(seq 24); do
    charity=$other
    [ $((i % 3)) = 0 ] && charity=$victim
    donate "$charity" $((50 + i * 13)) debit_card
done

# 4. Minutes before the incident: this session's donations to the charity about to lose them.
# Their ids are random and their amounts add up to the session's total: only the WAL has them.
as_pg -q -v n="$LAB_BEFORE" -v total="$LAB_BEFORE_TOTAL" -v marker="$LAB_MARKER" -v victim="$victim" <<'SQL'
INSERT INTO donations (charity_id, amount, currency, transaction_fee, net_amount, payment_method,
                       payment_status, stripe_payment_intent_id, is_anonymous)
SELECT :'victim', a.amount, 'ZAR', 0, a.amount, 'bank_transfer', 'completed',
       'pi_' || :'marker' || '_before_' || i, false
  FROM generate_series(1, :n) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN i < :n THEN (:total / :n) - 20 + (i * 7) % 41
                            ELSE :total - (SELECT sum((:total / :n) - 20 + (j * 7) % 41) FROM generate_series(1, :n - 1) j)
                            END::numeric(12,2) AS amount) a;
SQL
sleep 2

# 5. The incident: a "cleanup" run as postgres, with statement logging on for that session.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod <<SQL
SET log_statement = 'all';
DELETE FROM donations WHERE charity_id = '$victim';
SQL
sleep 2

# 6. Business goes on: donations that arrive after the incident.
as_pg -q -v marker="$LAB_MARKER" -v other="$other" <<'SQL'
INSERT INTO donations (charity_id, amount, currency, transaction_fee, net_amount, payment_method,
                       payment_status, stripe_payment_intent_id, is_anonymous)
SELECT :'other', 300 + i, 'ZAR', 0, 300 + i, 'bank_transfer', 'completed', 'pi_' || :'marker' || '_after_' || i, false
  FROM generate_series(1, 4) AS i;
SQL
for i in $(seq 6); do donate "$other" $((70 + i)) credit_card; done
as_pg -c 'SELECT pg_switch_wal()' >/dev/null
# Someone looked at the charity lists since: they are cached (for two hours) as they are now.
for page in 1 2; do
    curl -s -o /dev/null "https://$DOMAIN/api/v1/charities?limit=100&page=$page"
done

name=$(as_pg -c "SELECT name FROM charities WHERE id = '$victim'")
cat >/home/impactlink/INCIDENT.md <<NOTE
# SEV1: donations of "$name" gone

Reported $(date '+%Y-%m-%d %H:%M %Z') by the charity's administrator: their dashboard shows no
donations at all. Support ran a "cleanup" against production a few minutes ago and thinks it may
have matched more rows than intended.

The incident commander has decided: **point-in-time recovery of the database to just before the
cleanup**. Donations made after the cleanup will be lost by the recovery and re-entered from the
payment provider afterwards; that has been accepted. Run it as this quarter's DR test, and write
the incident record.

- Base backups: /var/backups/postgresql/
- WAL archive:  /var/lib/postgresql/wal-archive/
- RTO target for database corruption/loss (DR plan): 60 minutes
NOTE
chown impactlink:impactlink /home/impactlink/INCIDENT.md
