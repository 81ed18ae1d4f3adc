#!/bin/bash
# Probe: the server has recovered because the failing job stopped (judged by what processes do,
# not by their names), nothing starts it again, and every other schedule is intact. Which job
# failed is judged on the platform: this script reports every job's state and never knows it.
set -uo pipefail
PS=$ACADEMY_RUN/ps
JOBS=/home/impactlink/jobs
ALL_JOBS=(receipt-render ledger-sync pdf-receipts csv-export thumbnailer geo-indexer donor-digest sms-reminders)

# What the processes do (the engine's table: CPU, memory and age cannot be faked).
# Busy: alive for a second or more, and a third of a CPU or more on average, or runnable at
# this instant with a tenth of a CPU or more (a fresh copy of a job under another name, on a
# server that shares its CPU, may not have reached the first yet; a CPU-bound process is always
# runnable). The API and the other jobs stay far below either.
obs busy_procs "$(awk 'NR > 1 && $5 >= 1 && ($3 >= 30 || ($6 ~ /^R/ && $3 >= 10))' "$PS" | wc -l)"
# Memory: no process holds 150 MB or more (the API holds under 100).
obs big_procs "$(awk 'NR > 1 && $4 >= 153600' "$PS" | wc -l)"

# The disk: under the warning line, and not filling up again (a writer still at work).
used() { df -P /srv | awk 'NR == 2 {print $3, $2}'; }
read -r used1 blocks < <(used)
sleep 0.3
read -r used2 _ < <(used)
obs disk_pct $((used2 * 100 / blocks))
obs disk_growth_mb $(((used2 - used1) / 1024))

# Which jobs have processes (paused ones included: kill -STOP is not stopping).
running=","
for name in "${ALL_JOBS[@]}"; do
    awk -v job="${name:0:15}" 'NR > 1 && $7 == job {found = 1} END {exit !found}' "$PS" && running+="$name,"
done
obs running_jobs "$running"
obs cron_running "$(awk 'NR > 1 && $7 == "cron"' "$PS" | wc -l)"

# The schedules: every crontab, lines compared with their whitespace squeezed.
norm() { sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//' "$@" | grep -v -e '^#' -e '^$'; }
work=$(mktemp -d)
mkdir "$work/tabs"
for tab in /var/spool/cron/crontabs/*; do
    [ -f "$tab" ] && norm "$tab" >"$work/tabs/$(basename "$tab")"
done
touch "$work/tabs/impactlink"
norm /opt/srv-seed/var/spool/cron/crontabs/impactlink >"$work/seed"
for name in "${ALL_JOBS[@]}"; do
    echo "* * * * * cd $JOBS && flock -n /tmp/$name.lock perl $name.pl >>/var/log/impactlink/jobs.log 2>&1"
done >"$work/jobs"
obs schedules_missing "$(grep -vxF -f "$work/tabs/impactlink" "$work/seed" | wc -l)"
disabled=","
scheduled=","
for name in "${ALL_JOBS[@]}"; do
    grep -F "perl $name.pl" "$work/jobs" | grep -qxF -f - "$work/tabs/impactlink" || disabled+="$name,"
    cat "$work"/tabs/* | grep -qF -- "$name" && scheduled+="$name,"
done
obs disabled_jobs "$disabled"
obs scheduled_jobs "$scheduled"
# Anything else scheduled: a renamed or respelled copy of a job, or a line in another crontab.
unknown=$(grep -vxF -f "$work/seed" -f "$work/jobs" "$work/tabs/impactlink" | wc -l)
for tab in "$work"/tabs/*; do
    [ "$(basename "$tab")" = impactlink ] || unknown=$((unknown + $(wc -l <"$tab")))
done
obs unknown_schedules "$unknown"
rm -rf "$work"

obs api_status "$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")"
