#!/bin/bash
# Reference solution, run as impactlink: back up, verify the checksums, test-restore, find the marker.
set -euo pipefail
~/scripts/backup.sh database --label drill
B=$(readlink -f /var/backups/impactlink/latest-database)
(cd "$B" && sha256sum -c SHA256SUMS)
echo "ANSWER: dump-checksum $(sha256sum "$B/impactlink_prod.dump" | cut -d' ' -f1)"
sudo -u postgres dropdb --if-exists impactlink_verify
sudo -u postgres createdb -O impactlink impactlink_verify
sudo -u postgres pg_restore -d impactlink_verify <"$B/impactlink_prod.dump"
grep '^row_counts:' "$B/MANIFEST"
amount=$(psql -X -At -d impactlink_verify \
  -c "SELECT amount FROM donations WHERE stripe_payment_intent_id = 'pi_drill_${LAB_MARKER}'")
echo "ANSWER: marker-amount ${amount}"
