#!/bin/bash
# Remove the backup sets made since the lab began (born after the freshness donation arrived);
# the nightly sets stay, the damaged one too. Point the latest links back at last night's.
set -euo pipefail
ROOT=/var/backups/impactlink
fresh=$(runuser -u postgres -- psql -X -At -d impactlink_prod -c "SELECT coalesce(min(extract(epoch FROM created_at))::bigint, 0)
    FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_drill\_%'")
for dir in "$ROOT"/2*/; do
    [ -d "$dir" ] || continue
    born=$(stat -c %W "$dir")
    [ "$born" -gt 0 ] || born=$(stat -c %Y "$dir")
    if [ "$born" -gt "$fresh" ]; then rm -rf "$dir"; fi
done
newest=$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d -name '2*-full' -printf '%f\n' | sort | tail -n 1)
if [ -n "$newest" ]; then
    ln -sfn "$newest" "$ROOT/latest"
    ln -sfn "$newest" "$ROOT/latest-database"
    chown -h impactlink:impactlink "$ROOT/latest" "$ROOT/latest-database"
fi
