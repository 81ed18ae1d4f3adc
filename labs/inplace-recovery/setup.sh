#!/bin/bash
# inplace-recovery setup (root): today's onboarding batch of rows in the drawn table, the latest
# backup (which holds them), donations that arrive after it, then a damaged page under those rows:
# every query that reads them fails with a checksum error. Nothing is kept for the checks: they
# read the cluster, the process table and the image's seed.
set -euo pipefail
: "${LAB_MARKER:?}" "${LAB_TABLE:?}" "${LAB_ROWS:?}" "${LAB_TOTAL:?}" "${LAB_LATE:?}" "${LAB_TICKET:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ && $LAB_ROWS =~ ^[0-9]+$ && $LAB_TOTAL =~ ^[0-9]+$ && $LAB_LATE =~ ^[0-9]+$ ]]
case $LAB_TABLE in charities | projects) ;; *) echo "unknown table $LAB_TABLE" >&2; exit 1 ;; esac
DATA=/var/lib/postgresql/15/main
DOMAIN=impactlink.solovedhelpinghands.org.za
as_pg() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
impactlink-ready --wait 150 >/dev/null

# 1. A backup from before today's onboarding batch, then the batch: rows whose amounts add up to
# the session's total.
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database --label before-import >/dev/null
if [ "$LAB_TABLE" = charities ]; then
    as_pg -q -v n="$LAB_ROWS" -v total="$LAB_TOTAL" -v marker="$LAB_MARKER" <<'SQL'
INSERT INTO charities (name, description, category, registration_number, verification_status,
                       province, city, total_donations_received)
SELECT 'Siyakhula Trust ' || i, 'Onboarding batch ' || :'marker', 'education',
       'NPO-' || :'marker' || '-' || i, 'verified', 'Gauteng', 'Soweto', a.amount
  FROM generate_series(1, :n) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN i < :n THEN (:total / :n) - 20 + (i * 37) % 41
                            ELSE :total - (SELECT sum((:total / :n) - 20 + (j * 37) % 41) FROM generate_series(1, :n - 1) j)
                            END::numeric(12,2) AS amount) a;
SQL
else
    as_pg -q -v n="$LAB_ROWS" -v total="$LAB_TOTAL" -v marker="$LAB_MARKER" <<'SQL'
INSERT INTO projects (charity_id, title, description, target_amount, unit_cost, unit_name)
SELECT (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number LIMIT 1),
       'Classroom kits, phase ' || i, 'Onboarding batch ' || :'marker', a.amount, 250, 'kit'
  FROM generate_series(1, :n) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN i < :n THEN (:total / :n) - 20 + (i * 37) % 41
                            ELSE :total - (SELECT sum((:total / :n) - 20 + (j * 37) % 41) FROM generate_series(1, :n - 1) j)
                            END::numeric(12,2) AS amount) a;
SQL
fi

# 2. The latest backup: it holds the batch.
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database >/dev/null
backed_up=$(date +%s)

# 3. Business goes on: donations made after the backup (only the damaged database will have them).
as_pg -q -v n="$LAB_LATE" -v marker="$LAB_MARKER" <<'SQL'
INSERT INTO donations (charity_id, amount, currency, transaction_fee, net_amount, payment_method,
                       payment_status, stripe_payment_intent_id, is_anonymous)
SELECT (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number OFFSET 3 LIMIT 1),
       150 + i * 10, 'ZAR', 0, 150 + i * 10, 'credit_card', 'completed', 'pi_' || :'marker' || '_late_' || i, false
  FROM generate_series(1, :n) AS i;
SQL

# 4. The damage: garbage in the middle of every page that holds the batch. Data checksums are on,
# so PostgreSQL refuses those pages from now on ("invalid page in block N of relation ...").
file=$(as_pg -c "SELECT pg_relation_filepath('$LAB_TABLE')")
blocks=$(as_pg -c "SELECT DISTINCT (ctid::text::point)[0]::bigint FROM $LAB_TABLE WHERE description = 'Onboarding batch $LAB_MARKER'")
as_pg -q -c CHECKPOINT
systemctl stop postgresql >/dev/null
for block in $blocks; do
    head -c 48 /dev/urandom | dd of="$DATA/$file" bs=1 seek=$((block * 8192 + 3000)) conv=notrunc status=none
done
systemctl start postgresql >/dev/null
impactlink-ready --wait 150 >/dev/null
if as_pg -c "SELECT count(*) FROM $LAB_TABLE" >/dev/null 2>&1; then
    echo "the damage did not take" >&2
    exit 1
fi

# 5. The next backup attempt fails on the damaged page (backup.sh deletes what it wrote), so the
# latest good backup is the one before the damage. Donors hit the broken pages: the errors reach
# the API's and PostgreSQL's logs.
# (Not within the same second: a failed backup removes the directory of its own name.)
while [ "$(date +%s)" -le "$backed_up" ]; do sleep 0.2; done
if runuser -u impactlink -- /home/impactlink/scripts/backup.sh database >/dev/null 2>&1; then
    echo "a backup of the damaged database succeeded" >&2
    exit 1
fi
for _ in 1 2 3; do
    curl -s -o /dev/null "https://$DOMAIN/api/v1/$LAB_TABLE?limit=5" || true
done

since=$(date '+%H:%M %Z')
cat >/home/impactlink/INCIDENT.md <<NOTE
# INC-$LAB_TICKET: errors on the public site (SEV1)

Reported $since by support: some pages of the site answer "Internal Server Error" for every
donor. Nothing was deployed today.

You are the on-call engineer and, for this drill, also the communications lead:

- Find what is broken, and recover production the way the runbook says for a damaged database.
- Post status updates for INC-$LAB_TICKET in the lab page (not here): the first within 10
  minutes, then at least every 15 minutes until the incident is resolved.
NOTE
chown impactlink:impactlink /home/impactlink/INCIDENT.md
