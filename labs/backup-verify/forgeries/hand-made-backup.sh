#!/bin/bash
# forgery: Take the "backup" with pg_dump by hand into a dated folder, checksum it, and skip the script (no MANIFEST of its own)
# class: teaches
# targets: take-backup
[ "$1" = before ] || exit 0
dir=/var/backups/impactlink/$(date +%Y%m%d-%H%M%S)-database-drill
mkdir "$dir"
pg_dump -Fc -d impactlink_prod -f "$dir/impactlink_prod.dump"
(cd "$dir" && sha256sum impactlink_prod.dump >SHA256SUMS)
ln -sfn "$(basename "$dir")" /var/backups/impactlink/latest-database
