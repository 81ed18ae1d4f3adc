#!/bin/bash
# recover, observed from the probe: production's own cluster went through a point-in-time
# recovery from the base backup to a target before the cleanup, and was promoted.
# - same_cluster: the running cluster's system identifier is the one this server was built with
#   (the pristine copy's pg_control): not a new initdb filled from a dump.
# - in_recovery: f once promoted.
# - timeline: the current WAL timeline; a recovery that ends starts a new one (2 or more).
# - recovery_target: what the current timeline's history file says ended the recovery
#   (time | xid | lsn | name | immediate | none): a point-in-time target, not "replay all".
# - from_base_backup: the backup_label the recovery started from (kept as backup_label.old)
#   names the WAL position of a base backup in /var/backups/postgresql.
# - victim_original: the charity's donations that are the ORIGINAL rows (their xmin older than
#   the pristine cluster's next transaction id). A dump restore or rows inserted by hand are new
#   rows; only undoing the DELETE in the cluster itself brings the originals back.
# - before_rows / before_total: this session's donations made minutes before the cleanup, which
#   exist nowhere but in the WAL (random ids; the platform knows their count and total).
# - after_rows: donations made after the cleanup (a recovery past the target keeps them).
: "${LAB_CHARITY:?}"
[[ $LAB_CHARITY =~ ^[0-9]+$ ]] || exit 3
DATA=/var/lib/postgresql/15/main
CONTROLDATA=/usr/lib/postgresql/15/bin/pg_controldata
SEED=/opt/srv-seed$DATA

seed=$($CONTROLDATA "$SEED" 2>/dev/null)
seed_id=$(sed -n 's/^Database system identifier: *//p' <<<"$seed")
seed_next=$(sed -n "s/^Latest checkpoint's NextXID: *[0-9]*://p" <<<"$seed")
[ -n "$seed_id" ] && [ -n "$seed_next" ] || exit 3

# One query for everything the database itself can say.
state=$(hpsql impactlink_prod "
    WITH victim AS (
        SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number
        OFFSET $LAB_CHARITY % greatest((SELECT count(*) FROM charities WHERE verification_status = 'verified'), 1) LIMIT 1),
    marked AS (SELECT charity_id, amount, stripe_payment_intent_id AS ref FROM donations
                WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]+_(before|after)_[0-9]+\$')
    SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system()),
           CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())
                ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
           (SELECT count(*) FROM donations WHERE charity_id = (SELECT id FROM victim)
              AND xmin::text::bigint < $seed_next),
           (SELECT count(*) FROM marked WHERE charity_id = (SELECT id FROM victim) AND ref ~ '_before_'),
           (SELECT coalesce(sum(amount), 0)::bigint FROM marked WHERE charity_id = (SELECT id FROM victim) AND ref ~ '_before_'),
           (SELECT count(*) FROM marked WHERE ref ~ '_after_')" 2>/dev/null)
if [ -z "$state" ]; then
    obs pg_up 0
    exit 0
fi
obs pg_up 1
IFS='|' read -r recovering sysid timeline original before total after <<<"$state"
obs in_recovery "$recovering"
[ "$sysid" = "$seed_id" ] && obs same_cluster 1 || obs same_cluster 0
obs timeline "${timeline:-0}"
obs victim_original "${original:-0}"
obs before_rows "${before:-0}"
obs before_total "${total:-0}"
obs after_rows "${after:-unknown}"

history=$(printf '%s/pg_wal/%08X.history' "$DATA" "$timeline")
reason=$(grep -v "^[[:space:]]*$" "$history" 2>/dev/null | tail -n 1 | cut -f3-)
case $reason in
    "before "[0-9]* | "after "[0-9]*) kind=time ;;
    *transaction*) kind=xid ;;
    *LSN*) kind=lsn ;;
    *"restore point"*) kind=name ;;
    *consistency*) kind=immediate ;;
    "") kind=missing ;;
    *) kind=none ;;
esac
echo "DETAIL: timeline $timeline, history: ${reason:-none}"
obs recovery_target "$kind"

label=$(sed -n 's/^START WAL LOCATION: \([0-9A-F/]*\).*/\1/p' "$DATA/backup_label.old" 2>/dev/null)
from_base=0
if [ -n "$label" ]; then
    for manifest in /var/backups/postgresql/*/backup_manifest; do
        [ -f "$manifest" ] || continue
        if grep -qF "\"Start-LSN\": \"$label\"" "$manifest"; then
            from_base=1
            break
        fi
    done
fi
obs from_base_backup "$from_base"
