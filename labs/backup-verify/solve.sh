#!/bin/bash
# backup-verify reference solution, as impactlink: take the backup, verify every set, name the
# damaged file, test-restore last night's backup into a scratch database, settle the dispute.
set -euo pipefail
cd /var/backups/impactlink

# 1. The fresh backup, with the script.
~/scripts/backup.sh database --label drill
B=$(readlink -f latest-database)
(cd "$B" && sha256sum -c SHA256SUMS)

# 2. Verify every set; the one that fails names its damaged file.
~/scripts/backup.sh status || true
for set in 2*/; do
    if ! failed=$(cd "$set" && sha256sum -c SHA256SUMS 2>/dev/null); then
        file=$(sed -n 's/: FAILED$//p' <<<"$failed")
        echo "damaged: $set$file"
        echo "ANSWER: damaged-checksum $(sha256sum "$set$file" | cut -d' ' -f1)"
    fi
done

# 3. Last night's backup: the newest set the nightly job wrote (mode full, no label).
N=$(ls -1d 2*-full | sort | tail -n 1)
(cd "$N" && sha256sum -c SHA256SUMS)
sudo -u postgres dropdb --if-exists impactlink_verify
sudo -u postgres createdb -O impactlink impactlink_verify
sudo -u postgres pg_restore -d impactlink_verify <"$N/impactlink_prod.dump"
grep '^row_counts:' "$N/MANIFEST"
psql -X -At -d impactlink_verify -c "SELECT 'users=' || (SELECT count(*) FROM users) || ' charities=' ||
    (SELECT count(*) FROM charities) || ' projects=' || (SELECT count(*) FROM projects) || ' donations=' ||
    (SELECT count(*) FROM donations)"
amount=$(psql -X -At -d impactlink_verify \
    -c "SELECT amount FROM donations WHERE stripe_payment_intent_id = 'pi_${LAB_REF}'")
echo "ANSWER: ref-amount ${amount}"
