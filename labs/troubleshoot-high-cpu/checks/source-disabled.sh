#!/bin/bash
# Probe: no crontab schedules anything beyond the server's regular jobs (so the runaway cannot
# come back, under its own name or another), those regular jobs are all still there, cron runs,
# and nothing spins on the CPU. The script knows only the regular schedules, never the runaway's.
set -uo pipefail
PS=$ACADEMY_RUN/ps
TABS=/var/spool/cron/crontabs

# Active lines, whitespace squeezed; comments and blank lines are not schedules.
norm() { sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//' "$@" 2>/dev/null | grep -v -e '^#' -e '^$'; }
work=$(mktemp -d)
norm /opt/srv-seed$TABS/impactlink >"$work/impactlink"
printf '%s\n' 'MAILTO=""' '30 3 * * 0 /usr/sbin/logrotate /etc/logrotate.conf >/dev/null 2>&1' >"$work/root"
unknown=0 missing=0
for tab in "$TABS"/*; do
    [ -f "$tab" ] || continue
    user=${tab##*/}
    regular=$work/$user
    [ -f "$regular" ] || regular=/dev/null
    unknown=$((unknown + $(norm "$tab" | grep -cvxF -f "$regular")))
done
for user in impactlink root; do
    missing=$((missing + $(grep -cvxF -f <(norm "$TABS/$user") "$work/$user")))
done
rm -rf "$work"
obs unknown_schedules "$unknown"
obs regular_missing "$missing"
obs cron_running "$(awk 'NR > 1 && $7 == "cron"' "$PS" | wc -l)"
obs busy_procs "$(awk 'NR > 1 && $5 >= 2 && ($3 >= 30 || ($6 ~ /^R/ && $3 >= 15 && $5 < 120))' "$PS" | wc -l)"
exit 0
