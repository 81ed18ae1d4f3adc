#!/bin/bash
# Back up the ImpactLink database and/or application files, with checksums and a manifest.
#
# Usage: backup.sh [database|files|full|status] [--label TEXT]      (default: full)
#   database  pg_dump custom format (-Fc) of impactlink_prod, checked with pg_restore --list
#   files     app-files.tar.gz: ~/app (with .git, WITHOUT .env: secrets are not backed up),
#             ~/scripts and the impactlink crontab
#   full      both
#   status    list backups and verify their checksums; exit 1 if the newest database backup
#             is missing, older than 26 h, or fails its checksum
# Output: /var/backups/impactlink/<YYYYmmdd-HHMMSS>-<mode>[-label]/ holding the files,
#         SHA256SUMS (verify: cd DIR && sha256sum -c SHA256SUMS) and MANIFEST. Symlinks: "latest"
#         (newest of any mode) and "latest-database" (newest with a dump).
#         Older than BACKUP_RETENTION_DAYS (30) are deleted; at most 10 full kept.
# Restore: pg_restore --clean --if-exists --no-owner -U impactlink -d impactlink_prod DIR/impactlink_prod.dump
# Exit:  0 ok, 1 failed (the partial backup directory is removed), 2 usage error
set -Eeuo pipefail
source "$(dirname "$(readlink -f "$0")")/lib/common.sh"
become_impactlink "$@"

BACKUP_ROOT=/var/backups/impactlink
mode=full label=""
while [ $# -gt 0 ]; do
    case $1 in
        database | files | full | status) mode=$1 ;;
        --label) label=${2:?--label needs a value}; shift ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "usage: backup.sh [database|files|full|status] [--label TEXT]" >&2; exit 2 ;;
    esac
    shift
done
DB_URL=$(env_value DATABASE_URL)
RETENTION_DAYS=$(env_value BACKUP_RETENTION_DAYS)
RETENTION_DAYS=${RETENTION_DAYS:-30}

human() { numfmt --to=iec --suffix=B "$1"; }
backups() { find "$BACKUP_ROOT" -mindepth 1 -maxdepth 1 -type d -name "2*${1:-}" 2>/dev/null | sort; }

status() {
    local rc=0 dir newest age
    [ -d "$BACKUP_ROOT" ] || { echo "no backups in $BACKUP_ROOT"; return 1; }
    printf '%-45s %8s  %s\n' BACKUP SIZE CHECKSUMS
    for dir in $(backups); do
        local sums=MISSING
        if [ -f "$dir/SHA256SUMS" ]; then
            if (cd "$dir" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then sums=OK; else sums=FAILED; fi
        fi
        printf '%-45s %8s  %s\n' "$(basename "$dir")" "$(du -sh "$dir" | cut -f1)" "$sums"
    done
    newest=$(for d in $(backups); do if [ -f "$d/impactlink_prod.dump" ]; then echo "$d"; fi; done | tail -n 1)
    if [ -z "$newest" ]; then
        echo "FAIL: no database backup found"
        return 1
    fi
    age=$(( ($(date +%s) - $(stat -c %Y "$newest/impactlink_prod.dump")) / 3600 ))
    echo "newest database backup: $(basename "$newest") (${age} h old)"
    if (cd "$newest" && sha256sum --quiet -c SHA256SUMS); then echo "checksums: OK"; else echo "FAIL: checksum mismatch"; rc=1; fi
    if [ "$age" -ge 26 ]; then echo "FAIL: newest database backup is older than 26 h"; rc=1; fi
    echo "disk: $(df -h "$BACKUP_ROOT" | awk 'NR==2 {print $4 " free of " $2 " (" $5 " used)"}')"
    return $rc
}

if [ "$mode" = status ]; then
    status
    exit $?
fi

SCRIPT_LOG=$LOG_DIR/backup.log
started=$(date +%s)
id="$(date +%Y%m%d-%H%M%S)-$mode${label:+-$label}"
dest=$BACKUP_ROOT/$id
on_error() {
    banner "BACKUP FAILED ($mode) at line $1: $2" "Partial backup $dest removed. Nothing usable was written."
    rm -rf "$dest"
    exit 1
}
trap 'on_error $LINENO "$BASH_COMMAND"' ERR

mkdir -p "$BACKUP_ROOT"
chmod 750 "$BACKUP_ROOT"
mkdir "$dest"
info "backup $id -> $dest"

if [ "$mode" = database ] || [ "$mode" = full ]; then
    pg_dump --format=custom --compress=6 --dbname="$DB_URL" --file="$dest/impactlink_prod.dump"
    # An empty or truncated dump must not count as a backup.
    [ -s "$dest/impactlink_prod.dump" ]
    pg_restore --list "$dest/impactlink_prod.dump" >/dev/null
    info "database: impactlink_prod.dump $(human "$(stat -c %s "$dest/impactlink_prod.dump")")"
fi
if [ "$mode" = files ] || [ "$mode" = full ]; then
    crontab -l >"$dest/crontab.txt" 2>/dev/null || true
    tar -C /home/impactlink --exclude=app/.env --exclude=node_modules -czf "$dest/app-files.tar.gz" app scripts
    gzip -t "$dest/app-files.tar.gz"
    info "files: app-files.tar.gz $(human "$(stat -c %s "$dest/app-files.tar.gz")")"
fi

(cd "$dest" && sha256sum -- * >SHA256SUMS)
counts=$(psql -X -At "$DB_URL" -c "SELECT string_agg(t || '=' || n, ' ') FROM (
    SELECT 'users' t, count(*) n FROM users UNION ALL SELECT 'charities', count(*) FROM charities
    UNION ALL SELECT 'projects', count(*) FROM projects UNION ALL SELECT 'donations', count(*) FROM donations) s")
migrations=$(psql -X -At "$DB_URL" -c "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")
{
    echo "backup_id: $id"
    echo "mode: $mode"
    echo "label: ${label:-none}"
    echo "created_at: $(date -Is)"
    echo "host: $(hostname)"
    echo "release: $(current_release) ($(git -C "$APP_DIR" rev-parse --short HEAD))"
    echo "database: impactlink_prod"
    echo "database_size: $(psql -X -At "$DB_URL" -c "SELECT pg_size_pretty(pg_database_size('impactlink_prod'))")"
    echo "schema_migrations: $migrations"
    echo "row_counts: $counts"
    echo "pg_dump: $(pg_dump --version)"
    echo "dump_format: pg_dump custom (-Fc, compress 6); restore with pg_restore"
    echo "excluded: app/.env (secrets), node_modules"
    echo "duration_seconds: $(( $(date +%s) - started ))"
    echo "files:"
    (cd "$dest" && for f in *; do
        case $f in SHA256SUMS | MANIFEST*) ;; *) printf '  %-22s %10s bytes\n' "$f" "$(stat -c %s "$f")" ;; esac
    done)
} >"$dest/MANIFEST.tmp"
mv "$dest/MANIFEST.tmp" "$dest/MANIFEST"
(cd "$dest" && sha256sum MANIFEST >>SHA256SUMS)
ln -sfn "$id" "$BACKUP_ROOT/latest"
if [ -f "$dest/impactlink_prod.dump" ]; then ln -sfn "$id" "$BACKUP_ROOT/latest-database"; fi

# Retention: age first, then keep at most 10 full backups.
find "$BACKUP_ROOT" -mindepth 1 -maxdepth 1 -type d -name '2*' -mtime +"$RETENTION_DAYS" -print -exec rm -rf {} + |
    sed 's/^/removed (older than retention): /'
backups '-full*' | head -n -10 | while read -r old; do
    rm -rf "$old"
    echo "removed (more than 10 full backups): $old"
done
trap - ERR
info "backup OK: $dest ($(du -sh "$dest" | cut -f1), $(( $(date +%s) - started )) s)"
