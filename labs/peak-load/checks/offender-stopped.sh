#!/bin/bash
# The job is stopped and will not come back from cron; the resource it held is free again and
# the API answers through Nginx.
set -uo pipefail
: "${LAB_JOB:?}" "${LAB_RESOURCE:?}"
rc=0
if pgrep -x "$LAB_JOB" >/dev/null || pgrep -f "$LAB_JOB\.js" >/dev/null; then
    echo "FAIL: $LAB_JOB is still running."
    rc=1
fi
for user in impactlink root; do
    if crontab -u "$user" -l 2>/dev/null | grep -v '^[[:space:]]*#' | grep -q "$LAB_JOB"; then
        echo "FAIL: the $user crontab still starts $LAB_JOB every minute: it will be back."
        echo "HINT: crontab -e (as the job's user) and comment out its line."
        rc=1
    fi
done
if [ "$LAB_RESOURCE" = disk ]; then
    pct=$(df -P /srv | awk 'NR == 2 {print int($5)}')
    if [ "$pct" -ge 80 ]; then
        echo "FAIL: the disk is still ${pct}% full."
        echo "HINT: A deleted file still held open by a process keeps its space (lsof +L1)."
        rc=1
    fi
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 https://impactlink.solovedhelpinghands.org.za/api/v1/health)
if [ "$code" != 200 ]; then
    echo "FAIL: the API's health through Nginx answers $code."
    rc=1
fi
exit $rc
