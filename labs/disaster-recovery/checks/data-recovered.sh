#!/bin/bash
# PostgreSQL runs the original cluster, recovered to a point between this session's last donations
# before the cleanup and the cleanup itself: the charity's donations are back exactly as they were,
# and what came after the cleanup is not there (a full replay or a plain base restore fails).
set -uo pipefail
: "${LAB_MARKER:?}" "${LAB_BEFORE:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ ]] || exit 3
source /root/.dr-lab || exit 3
q() { runuser -u postgres -- psql -X -At -F ' ' -d impactlink_prod -c "$1" 2>/dev/null; }

state=$(q "SELECT pg_is_in_recovery(), system_identifier FROM pg_control_system()")
if [ -z "$state" ]; then
    echo "FAIL: PostgreSQL does not answer on impactlink-prod."
    exit 1
fi
read -r recovering sysid <<<"$state"
if [ "$sysid" != "$SYSTEM_ID" ]; then
    echo "FAIL: PostgreSQL runs a different cluster than production's (a new initdb?): recover production's own cluster."
    exit 1
fi
if [ "$recovering" = t ]; then
    echo "FAIL: PostgreSQL is still in recovery (read-only): finish it (recovery_target_action = 'promote')."
    exit 1
fi
timeline=$(( 16#$(q "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)") ))
read -r count digest < <(q "SELECT count(*), md5(string_agg(id::text || ':' || amount || ':' || payment_status, ',' ORDER BY id))
                           FROM donations WHERE charity_id = '$VICTIM'")
read -r before after < <(q "SELECT count(*) FILTER (WHERE starts_with(stripe_payment_intent_id, 'pi_${LAB_MARKER}_before_')),
                                   count(*) FILTER (WHERE starts_with(stripe_payment_intent_id, 'pi_${LAB_MARKER}_after_'))
                              FROM donations")
if [ "${count:-0}" = 0 ]; then
    echo "FAIL: the charity still has no donations: the database has not been recovered yet."
    exit 1
fi
if [ "$after" != 0 ]; then
    echo "FAIL: donations made after the cleanup are present: recovery went past the target (or no target was set)."
    exit 1
fi
if [ "$before" != "$LAB_BEFORE" ]; then
    echo "FAIL: donations made minutes before the cleanup are missing: the recovery stopped too early (or only the base backup was restored)."
    echo "HINT: Replay the archived WAL up to a recovery_target_time just before the DELETE."
    exit 1
fi
if [ "$count $digest" != "$EXPECTED_COUNT $EXPECTED_DIGEST" ]; then
    echo "FAIL: the charity's donations differ from what they were just before the cleanup."
    echo "DETAIL: $count rows, expected $EXPECTED_COUNT"
    exit 1
fi
if [ "$timeline" -lt 2 ]; then
    echo "FAIL: the cluster is still on its original timeline: it has not gone through a point-in-time recovery."
    exit 1
fi
echo "DETAIL: timeline $timeline, $count donations of the charity restored"
