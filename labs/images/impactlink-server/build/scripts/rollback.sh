#!/bin/bash
# Roll the ImpactLink API back to an earlier release (code only) and verify health.
# Database migrations are NOT reversed: restore a pre-deploy backup if a schema change must go.
#
# Usage: rollback.sh [TAG] [-y|--yes]
#        TAG defaults to the last release recorded healthy in ~/.deploy-history that is not
#        the one running now (falls back to the previous tag by version).
# Exit:  0 rolled back and healthy
#        1 rolled back but the health check FAILED
#        2 usage error, unknown tag or nothing to roll back to
#        3 aborted (operator said no, uncommitted changes, missing dependencies)
set -uo pipefail
source "$(dirname "$(readlink -f "$0")")/lib/common.sh"
become_impactlink "$@"
SCRIPT_LOG=$LOG_DIR/deploy.log

target="" yes=0
for arg in "$@"; do
    case $arg in
        -y | --yes) yes=1 ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "unknown option: $arg" >&2; exit 2 ;;
        *) target=$arg ;;
    esac
done

cd "$APP_DIR" || exit 2
current=$(current_release)
if [ -z "$target" ] && [ -r "$HISTORY_FILE" ]; then
    target=$(awk -v cur="$current" '$4 == "ok" && $3 != cur { t = $3 } END { print t }' "$HISTORY_FILE")
fi
if [ -z "$target" ]; then
    target=$(git tag -l 'v*' --sort=-v:refname | awk -v cur="$current" 'found { print; exit } $0 == cur { found = 1 }')
fi
if [ -z "$target" ] || ! git rev-parse -q --verify "refs/tags/$target" >/dev/null; then
    echo "rollback: no release to roll back to (current: $current, target: '${target:-none}')" >&2
    exit 2
fi
if [ "$target" = "$current" ]; then
    echo "rollback: $target is already checked out; use 'sudo systemctl restart impactlink-api' to restart it" >&2
    exit 2
fi

if [ -t 0 ] && [ $yes = 0 ]; then
    read -r -p "Roll back impactlink-api from $current to $target? Type 'yes' to continue: " answer
    [ "$answer" = yes ] || { echo "rollback aborted"; exit 3; }
fi
info "=== rollback $current -> $target by $(id -un) ==="

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    banner "ROLLBACK ABORTED: uncommitted changes in $APP_DIR" "Commit or stash them first."
    exit 3
fi
run git checkout --quiet "$target" || { banner "ROLLBACK ABORTED: git checkout $target failed"; exit 3; }
if ! run check_dependencies; then
    git checkout --quiet "$current"
    banner "ROLLBACK ABORTED: dependencies of $target are missing. Code switched back to $current."
    exit 3
fi

newer=$(node bin/migrate.js status 2>/dev/null | grep 'NOT IN THIS RELEASE' | cut -d' ' -f1 | xargs)
if [ -n "$newer" ]; then
    warn "the database keeps migrations that $target does not know: $newer"
    warn "they are NOT rolled back. If $target cannot work with them, restore the pre-deploy backup:"
    warn "  ls /var/backups/impactlink/ | grep pre-deploy"
fi

run flush_cache || warn "cache flush failed; stale cache entries may be served"
run restart_api || warn "systemctl restart impactlink-api reported an error"
if wait_healthy 10 "$(release_version "$target")"; then
    record_history rollback "$target" ok
    info "health: $HEALTH_BODY"
    info "=== ROLLBACK OK: $target is live ==="
    exit 0
fi
record_history rollback "$target" FAILED
banner "ROLLBACK FAILED: $target is live but UNHEALTHY" "health check: HTTP $HEALTH_CODE $HEALTH_BODY" \
    "Investigate: tail -n 50 /var/log/impactlink/error.log ; journalctl -u impactlink-api -n 50"
exit 1
