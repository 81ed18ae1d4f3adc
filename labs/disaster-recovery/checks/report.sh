#!/bin/bash
# report, observed from the probe: the incident record ~/dr-report.md states what only the
# recovery itself reveals, and it agrees with the recovered cluster.
# - target_in_window: "Recovery target time" lies after this session's last donations before the
#   cleanup and no later than the commit the recovery stopped before.
# - stop_matches: "Recovery stopped before" is the commit time PostgreSQL reported when the
#   recovery stopped (its timeline history file keeps it), to the millisecond.
# - timeline_matches: "New timeline" is the timeline the cluster runs on now.
# - originals_back: the charity of this morning's donations has its original rows again (as in
#   the recover check): a record of a recovery that did not happen cannot pass.
# - damaged_kept: "Damaged cluster kept in" is a data directory of this same cluster, still on an
#   earlier timeline (moved aside, not deleted).
REPORT=/home/impactlink/dr-report.md
DATA=/var/lib/postgresql/15/main
CONTROLDATA=/usr/lib/postgresql/15/bin/pg_controldata

if [ ! -s "$REPORT" ]; then
    obs report 0
    exit 0
fi
obs report 1
# A field's value, without the Markdown or quotes around it.
field() {
    grep -i -m 1 "^[[:space:]#*-]*$1[[:space:]*]*:" "$REPORT" | head -c 300 |
        sed -E "s/^[^:]*:[[:space:]*\`'\"]*//; s/[[:space:]*\`'\"]*\$//"
}
target_text=$(field 'Recovery target time')
stopped_text=$(field 'Recovery stopped before')
timeline_said=$(field 'New timeline' | grep -oE '[0-9]+' | head -n 1)
kept=$(field 'Damaged cluster kept in' | cut -d' ' -f1)
seed=$($CONTROLDATA "/opt/srv-seed$DATA" 2>/dev/null)
seed_id=$(sed -n 's/^Database system identifier: *//p' <<<"$seed")
seed_next=$(sed -n "s/^Latest checkpoint's NextXID: *[0-9]*://p" <<<"$seed")

# The cluster: its timeline; whether the charity of this morning's donations has its original
# rows again (the record must describe a recovery this cluster has been through, as in the
# recover check); when the last of those donations was made.
facts=$(hpsql impactlink_prod "
    SELECT CASE WHEN pg_is_in_recovery() THEN 0
                ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
           (SELECT count(*) FROM donations WHERE xmin::text::bigint < ${seed_next:-0}
               AND charity_id IN (SELECT charity_id FROM donations WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]+_before_[0-9]+\$')),
           (SELECT extract(epoch FROM max(created_at)) FROM donations
             WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]+_before_[0-9]+\$')" 2>/dev/null)
IFS='|' read -r timeline originals last_before <<<"$facts"
timeline=${timeline:-0}
obs originals_back "${originals:-0}"
history=$(printf '%s/pg_wal/%08X.history' "$DATA" "$timeline")
reason=$(grep -v '^[[:space:]]*$' "$history" 2>/dev/null | tail -n 1 | cut -f3-)
stop_text=""
case $reason in "before "[0-9]* | "after "[0-9]*) stop_text=${reason#* } ;; esac

# PostgreSQL reads the times (it knows SAST and numeric offsets). The texts go in as psql
# variables, never as SQL; one that cannot be read leaves its line empty.
epochs=$(/usr/sbin/runuser -u postgres -- /usr/bin/psql -X -q -At -h "$ACADEMY_PG_SOCKET" -d postgres \
    -v t="$target_text" -v s="$stopped_text" -v h="$stop_text" 2>/dev/null <<'SQL'
\echo T
SELECT extract(epoch FROM (:'t')::timestamptz);
\echo S
SELECT extract(epoch FROM (:'s')::timestamptz);
\echo H
SELECT extract(epoch FROM (:'h')::timestamptz);
SQL
)
value_after() { awk -v tag="$1" 'found { if ($0 !~ /^[TSH]$/) print; exit } $0 == tag { found = 1 }' <<<"$epochs"; }
target=$(value_after T)
stopped=$(value_after S)
stop_time=$(value_after H)
echo "DETAIL: report target=${target:-?} stopped=${stopped:-?} timeline=${timeline_said:-?} kept=${kept:-?}; cluster: timeline $timeline, history '${reason}', last donation before $last_before"

within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && lo != "" && hi != "" && x + 0 >= lo + 0 && x + 0 <= hi + 0) }'; }
within "$target" "$last_before" "$stop_time" && obs target_in_window 1 || obs target_in_window 0
if [ -n "$stopped" ] && [ -n "$stop_time" ] && awk -v a="$stopped" -v b="$stop_time" 'BEGIN { d = a - b; exit !(d < 0.001 && d > -0.001) }'; then
    obs stop_matches 1
else
    obs stop_matches 0
fi
[ -n "$timeline_said" ] && [ "$timeline_said" = "$timeline" ] && [ "$timeline" -ge 2 ] && obs timeline_matches 1 || obs timeline_matches 0

damaged_kept=0
if [[ $kept == /* ]] && [ -f "$kept/global/pg_control" ] && [ "$(readlink -f "$kept")" != "$(readlink -f "$DATA")" ]; then
    control=$($CONTROLDATA "$kept" 2>/dev/null)
    kept_id=$(sed -n 's/^Database system identifier: *//p' <<<"$control")
    kept_tl=$(sed -n "s/^Latest checkpoint's TimeLineID: *//p" <<<"$control")
    if [ -n "$seed_id" ] && [ "$kept_id" = "$seed_id" ] && [ -n "$kept_tl" ] && [ "$kept_tl" -lt "$timeline" ]; then
        damaged_kept=1
    fi
fi
obs damaged_kept "$damaged_kept"
