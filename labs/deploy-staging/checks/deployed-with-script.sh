#!/bin/bash
# v1.1.0 is checked out cleanly and was deployed by deploy.sh (history line + pre-deploy backup).
set -uo pipefail
HOME_DIR=/home/impactlink
git_ops() { runuser -u impactlink -- git -C "$HOME_DIR/app" "$@"; }
rc=0

head=$(git_ops rev-parse HEAD 2>/dev/null)
tag=$(git_ops rev-parse 'v1.1.0^{commit}' 2>/dev/null)
newest=$(git_ops describe --tags --exact-match HEAD 2>/dev/null || echo "${head:0:7}")
if [ "$head" != "$tag" ]; then
    echo "FAIL: ~/app is on $newest, not on the release tag v1.1.0."
    rc=1
fi
if [ -n "$(git_ops status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "FAIL: ~/app has uncommitted changes to tracked files; a release is deployed as tagged."
    rc=1
fi
if ! grep -Eq '^[^ ]+ deploy v1\.1\.0 ok ' "$HOME_DIR/.deploy-history" 2>/dev/null; then
    echo "FAIL: ~/.deploy-history has no successful 'deploy v1.1.0' entry."
    echo "HINT: Deploy with ~/scripts/deploy.sh v1.1.0: it records every deployment it makes."
    rc=1
fi
backup=$(find /var/backups/impactlink -mindepth 1 -maxdepth 1 -type d -name '*-database-pre-deploy-v1.1.0' 2>/dev/null | sort | tail -n 1)
if [ -z "$backup" ]; then
    echo "FAIL: no pre-deploy database backup for v1.1.0 in /var/backups/impactlink."
    echo "HINT: Do not use --skip-backup on a release that carries a migration."
    rc=1
elif ! (cd "$backup" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    echo "FAIL: the pre-deploy backup $backup does not match its SHA256SUMS."
    rc=1
fi
echo "DETAIL: HEAD $newest; backup ${backup:-none}"
exit $rc
