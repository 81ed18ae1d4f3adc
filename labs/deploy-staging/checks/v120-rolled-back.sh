#!/bin/bash
# Probe: v1.2.0 was deployed with the script (its pre-deploy backup, then migration 003 committed
# by the runner), it went live and failed (the v1.2.0 API's failed database logins in PostgreSQL's
# log, the script's FAILED record), and rollback.sh brought v1.1.0 back: its records come after the
# failure and the API answering now is v1.1.0, started after migration 003 committed.
set -uo pipefail
APP=/home/impactlink/app
SEED_APP=/opt/srv-seed/home/impactlink/app
epoch() { TZ=Africa/Johannesburg date -d "$1" +%s 2>/dev/null; }
WINDOW=600

v110=$(hgit -C "$SEED_APP" rev-parse 'v1.1.0^{commit}')
v120=$(hgit -C "$APP" rev-parse 'v1.2.0^{commit}' 2>/dev/null)
head=$(hgit -C "$APP" rev-parse HEAD 2>/dev/null)
obs head_is_v110 "$([ "$head" = "$v110" ] && echo 1 || echo 0)"

want_sum=$(hgit -C "$SEED_APP" show v1.2.0:migrations/003_donation_dedication.sql | sha256sum | cut -d' ' -f1)
row=$(hpsql impactlink_prod "SELECT extract(epoch FROM pg_xact_commit_timestamp(m.xmin))::numeric(20,3),
        (m.xmin = a.xmin), m.checksum = '$want_sum'
   FROM public.schema_migrations m
   LEFT JOIN pg_attribute a ON a.attrelid = 'public.donations'::regclass AND a.attname = 'dedication'
  WHERE m.version = '003'" 2>/dev/null)
IFS='|' read -r t3 same_txn sum_ok <<<"$row"
runner=0
[ -n "$t3" ] && [ "$same_txn" = t ] && [ "$sum_ok" = t ] && runner=1
obs migration_003_by_runner "$runner"
t3_ms=""
[ -n "$t3" ] && t3_ms=${t3/./}   # numeric(20,3): seconds.milliseconds
t3=${t3%.*}

backup_ok=0
if [ "$runner" = 1 ]; then
    for dir in /var/backups/impactlink/*-database-pre-deploy-v1.2.0; do
        [ -f "$dir/SHA256SUMS" ] && [ -f "$dir/impactlink_prod.dump" ] || continue
        grep -q ' impactlink_prod.dump$' "$dir/SHA256SUMS" || continue
        (cd "$dir" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1) || continue
        done_at=$(stat -c %Z "$dir/SHA256SUMS" "$dir/impactlink_prod.dump" | sort -n | tail -n 1)
        [ "$done_at" -le "$t3" ] && [ $((t3 - done_at)) -le $WINDOW ] || continue
        schema=$(pg_restore -s -f - "$dir/impactlink_prod.dump" 2>/dev/null)
        grep -q section18a_approved <<<"$schema" || continue
        grep -q dedication <<<"$schema" && continue
        backup_ok=1
    done
fi
obs backup_before_migration_003 "$backup_ok"

# The v1.2.0 API really ran: it logged in with libpq defaults and PostgreSQL refused it.
live=0
if [ -n "$t3" ]; then
    while read -r stamp; do
        t=$(epoch "$stamp") || continue
        [ "$t" -ge $((t3 - 1)) ] && [ "$t" -le $((t3 + WINDOW)) ] && { live=1; break; }
    done < <(grep -h 'FATAL:  database "impactlink" does not exist' /var/log/postgresql/postgresql-15-main.log* 2>/dev/null |
        sed -n 's/^\([0-9-]* [0-9:]*\)\.[0-9]* SAST .*/\1/p')
fi
obs v120_was_live "$live"

# The scripts' own records: deploy v1.2.0 FAILED at the time migration 003 committed, then a
# successful rollback to v1.1.0 (not another deployment).
failed_at="" rollback=0
while read -r when action tag result commit; do
    t=$(epoch "$when") || continue
    if [ "$action $tag $result" = "deploy v1.2.0 FAILED" ] && [ -n "$v120" ] && [ "$commit" = "${v120:0:7}" ] &&
        [ -n "$t3" ] && [ "$t" -ge $((t3 - 1)) ] && [ "$t" -le $((t3 + WINDOW)) ]; then
        failed_at=$t
    elif [ "$action $tag $result" = "rollback v1.1.0 ok" ] && [ "$commit" = "${v110:0:7}" ] &&
        [ -n "$failed_at" ] && [ "$t" -ge "$failed_at" ]; then
        rollback=1
    fi
done < <(cat /home/impactlink/.deploy-history 2>/dev/null)
obs history_failed "$([ -n "$failed_at" ] && echo 1 || echo 0)"
obs history_rollback "$rollback"

log_ok=0
if [ -n "$failed_at" ]; then
    while read -r stamp; do
        t=$(epoch "$stamp") || continue
        [ "$t" -ge "$failed_at" ] && log_ok=1
    done < <(sed -n 's/^\[\([0-9-]* [0-9:]*\)\] === ROLLBACK OK: v1\.1\.0 is live ===$/\1/p' /var/log/impactlink/deploy.log 2>/dev/null)
fi
obs deploy_log_rollback "$log_ok"

health=$(hcurl -s --max-time 5 https://impactlink.solovedhelpinghands.org.za/api/v1/health)
started=$(api_start_ms "$health")
after=0
[ -n "$started" ] && [ -n "$t3_ms" ] && [ "$started" -ge "$t3_ms" ] && after=1
obs api_started_after_migration_003 "$after"
obs api_version "$(jq -r '.version // "none"' <<<"$health" 2>/dev/null || echo none)"
obs api_status "$(jq -r '.status // "none"' <<<"$health" 2>/dev/null || echo none)"
exit 0
