#!/bin/bash
# Probe: v1.1.0 runs because deploy.sh deployed it. The script's own records (~/.deploy-history,
# deploy.log, its pre-deploy backup) must agree with what nobody can write by hand: the moment
# PostgreSQL committed migration 002 (commit timestamps are on), the migration's DDL and its
# schema_migrations row being one transaction, the backup's files last changed (ctime) before
# that commit, and the running API having started after it.
set -uo pipefail
APP=/home/impactlink/app
SEED_APP=/opt/srv-seed/home/impactlink/app
epoch() { TZ=Africa/Johannesburg date -d "$1" +%s 2>/dev/null; }
WINDOW=600   # seconds a deployment may take from its backup to its history line

v110=$(hgit -C "$SEED_APP" rev-parse 'v1.1.0^{commit}')
head=$(hgit -C "$APP" rev-parse HEAD 2>/dev/null)
obs head_is_v110 "$([ "$head" = "$v110" ] && echo 1 || echo 0)"
# Every tracked file in the working tree is the release's own blob (hashed here, not trusting
# the index's flags).
clean=0
listing=$(hgit -C "$APP" ls-tree -r HEAD 2>/dev/null | awk '$2 == "blob" { print $3 "\t" $4 }')
if [ -n "$listing" ]; then
    hashes=$(cut -f2 <<<"$listing" | sed 's#^#'"$APP"'/#' | hgit hash-object --no-filters --stdin-paths 2>/dev/null)
    [ "$hashes" = "$(cut -f1 <<<"$listing")" ] && clean=1
fi
obs tree_clean "$clean"

# Migration 002: its commit time, and whether the runner applied it (DDL + record, one transaction,
# with the checksum of the release's file).
want_sum=$(hgit -C "$SEED_APP" show v1.1.0:migrations/002_charity_section18a.sql | sha256sum | cut -d' ' -f1)
row=$(hpsql impactlink_prod "SELECT extract(epoch FROM pg_xact_commit_timestamp(m.xmin))::numeric(20,3),
        (m.xmin = a.xmin), m.checksum = '$want_sum'
   FROM public.schema_migrations m
   LEFT JOIN pg_attribute a ON a.attrelid = 'public.charities'::regclass AND a.attname = 'section18a_approved'
  WHERE m.version = '002'" 2>/dev/null)
IFS='|' read -r t_mig same_txn sum_ok <<<"$row"
runner=0
[ -n "$t_mig" ] && [ "$same_txn" = t ] && [ "$sum_ok" = t ] && runner=1
obs migration_by_runner "$runner"
t_mig_ms=""
[ -n "$t_mig" ] && t_mig_ms=${t_mig/./}   # numeric(20,3): seconds.milliseconds
t_mig=${t_mig%.*}

# The pre-deploy backup: intact, taken before the migration committed (ctime cannot be set back),
# and holding the schema from before v1.1.0.
backup_ok=0
if [ "$runner" = 1 ]; then
    for dir in /var/backups/impactlink/*-database-pre-deploy-v1.1.0; do
        [ -f "$dir/SHA256SUMS" ] && [ -f "$dir/impactlink_prod.dump" ] || continue
        grep -q ' impactlink_prod.dump$' "$dir/SHA256SUMS" || continue
        (cd "$dir" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1) || continue
        done_at=$(stat -c %Z "$dir/SHA256SUMS" "$dir/impactlink_prod.dump" | sort -n | tail -n 1)
        [ "$done_at" -le "$t_mig" ] && [ $((t_mig - done_at)) -le $WINDOW ] || continue
        schema=$(pg_restore -s -f - "$dir/impactlink_prod.dump" 2>/dev/null)
        grep -q 'CREATE TABLE public.charities' <<<"$schema" || continue
        grep -q section18a <<<"$schema" && continue
        backup_ok=1
    done
fi
obs backup_before_migration "$backup_ok"

# The script's own record of the deployment, at the time the migration says it happened.
history_ok=0
while read -r when action tag result commit; do
    [ "$action $tag $result" = "deploy v1.1.0 ok" ] && [ "$commit" = "${v110:0:7}" ] || continue
    t=$(epoch "$when") || continue
    [ -n "$t_mig" ] && [ "$t" -ge $((t_mig - 1)) ] && [ "$t" -le $((t_mig + WINDOW)) ] && history_ok=1
done < <(cat /home/impactlink/.deploy-history 2>/dev/null)
obs history_agrees "$history_ok"

log_ok=0
while read -r stamp; do
    t=$(epoch "$stamp") || continue
    [ -n "$t_mig" ] && [ "$t" -ge $((t_mig - 1)) ] && [ "$t" -le $((t_mig + WINDOW)) ] && log_ok=1
done < <(sed -n 's/^\[\([0-9-]* [0-9:]*\)\] === DEPLOY OK: v1\.1\.0 is live ===$/\1/p' /var/log/impactlink/deploy.log 2>/dev/null)
obs deploy_log_agrees "$log_ok"

# The API answering through Nginx started after the migration committed (milliseconds).
health=$(hcurl -s --max-time 5 https://impactlink.solovedhelpinghands.org.za/api/v1/health)
started=$(api_start_ms "$health")
after=0
[ -n "$started" ] && [ -n "$t_mig_ms" ] && [ "$started" -ge "$t_mig_ms" ] && after=1
obs api_started_after_migration "$after"
obs api_version "$(jq -r '.version // "none"' <<<"$health" 2>/dev/null || echo none)"
exit 0
