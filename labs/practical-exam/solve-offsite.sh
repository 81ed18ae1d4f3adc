#!/bin/bash
# practical-exam reference solution on prod, as impactlink, once the backup server accepts the
# push again: push tonight's full set and see it verified there.
set -euo pipefail
tail -n 5 /var/log/impactlink/backup.log
tonight=$(find /var/backups/impactlink -mindepth 1 -maxdepth 1 -type d -name '*-full*' | sort | tail -n 1)
~/scripts/offsite-push.sh "$tonight"
ssh -n backup "ls -l /var/backups/offsite/impactlink-prod/"
