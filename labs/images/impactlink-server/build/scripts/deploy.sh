#!/bin/bash
# Deploy a tagged release of the ImpactLink API: backup, checkout, dependencies, migrations,
# cache flush, restart, health check through Nginx.
#
# Usage: deploy.sh [TAG] [--skip-backup]      TAG defaults to the newest v* tag.
# Exit:  0 deployed and healthy
#        1 deployed but the health check FAILED: the release is live and broken, roll back
#        2 usage error or unknown tag
#        3 preflight failed (uncommitted changes, missing dependencies): nothing changed
#        4 a migration failed: code switched back, API not restarted
#        5 pre-deploy database backup failed: nothing changed
set -uo pipefail
source "$(dirname "$(readlink -f "$0")")/lib/common.sh"
become_impactlink "$@"
SCRIPT_LOG=$LOG_DIR/deploy.log

tag="" skip_backup=0
for arg in "$@"; do
    case $arg in
        --skip-backup) skip_backup=1 ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "unknown option: $arg" >&2; exit 2 ;;
        *) tag=$arg ;;
    esac
done

cd "$APP_DIR" || exit 2
[ -n "$tag" ] || tag=$(git tag -l 'v*' --sort=-v:refname | head -n 1)
if ! git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
    echo "deploy: unknown release '$tag'. Available: $(git tag -l 'v*' --sort=v:refname | xargs)" >&2
    exit 2
fi
previous=$(current_release)
expected=$(release_version "$tag")
info "=== deploy $tag (version $expected) by $(id -un); currently running $previous ==="

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    banner "DEPLOY ABORTED: uncommitted changes in $APP_DIR" "$(git status --short --untracked-files=no | head -5)" \
        "Commit or stash them, then deploy again."
    exit 3
fi

if [ $skip_backup = 0 ]; then
    info "step 1/6: pre-deploy database backup"
    if ! run "$SCRIPTS_DIR/backup.sh" database --label "pre-deploy-$tag"; then
        banner "DEPLOY ABORTED: pre-deploy backup failed (see above). Nothing was changed."
        exit 5
    fi
else
    warn "step 1/6: pre-deploy backup SKIPPED (--skip-backup)"
fi

info "step 2/6: checking out $tag"
run git checkout --quiet "$tag" || { banner "DEPLOY ABORTED: git checkout $tag failed"; exit 3; }

info "step 3/6: dependencies (offline, Debian node modules)"
if ! run check_dependencies; then
    git checkout --quiet "$previous"
    banner "DEPLOY ABORTED: dependencies of $tag are not installed on this server." "Code switched back to $previous."
    exit 3
fi

info "step 4/6: database migrations"
if ! run node bin/migrate.js; then
    git checkout --quiet "$previous"
    banner "DEPLOY FAILED: a migration of $tag failed (see above)." \
        "Code switched back to $previous; the API was not restarted." \
        "Migrations run one transaction each: check 'node bin/migrate.js status'."
    record_history deploy "$tag" MIGRATION-FAILED
    exit 4
fi

info "step 5/6: flushing cache and restarting impactlink-api"
run flush_cache || warn "cache flush failed; stale cache entries may be served"
run restart_api || warn "systemctl restart impactlink-api reported an error"

info "step 6/6: health check via $HEALTH_URL"
if wait_healthy 10 "$expected"; then
    record_history deploy "$tag" ok
    info "health: $HEALTH_BODY"
    info "=== DEPLOY OK: $tag is live ==="
    exit 0
fi

record_history deploy "$tag" FAILED
banner "DEPLOY FAILED: $tag IS LIVE BUT UNHEALTHY" \
    "health check: HTTP $HEALTH_CODE $HEALTH_BODY" \
    "previous release: $previous" \
    "" \
    "Roll back now:   ~/scripts/rollback.sh" \
    "Investigate:     tail -n 50 /var/log/impactlink/error.log ; journalctl -u impactlink-api -n 50"
exit 1
