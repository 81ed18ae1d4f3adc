#!/bin/bash
# Compute: which resource the job saturates, measured on the running job when it runs.
set -uo pipefail
: "${LAB_JOB:?}" "${LAB_RESOURCE:?}"
pid=$(pgrep -x "$LAB_JOB" | head -n 1)
if [ -z "$pid" ]; then
    echo "$LAB_RESOURCE"
    exit 0
fi
rss_mb=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
disk_pct=$(df -P /srv | awk 'NR == 2 {print int($5)}')
if [ "$rss_mb" -ge 200 ]; then
    echo memory
elif [ "$disk_pct" -ge 85 ] || [ "$(stat -c %s "/var/log/impactlink/$LAB_JOB-debug.log" 2>/dev/null || echo 0)" -ge $((150 * 1048576)) ]; then
    echo disk
else
    # Neither memory nor disk: the job's share of one CPU over half a second.
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep 0.5
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$t0")
    if [ $(( (t1 - t0) * 100 / $(getconf CLK_TCK) * 2 )) -ge 30 ]; then echo cpu; else echo "$LAB_RESOURCE"; fi
fi
