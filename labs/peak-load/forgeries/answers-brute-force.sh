#!/bin/bash
# forgery: Without measuring, try every resource and every job name from the crontab in turn
# class: answers
# targets: relieve-peak-load
set -uo pipefail
[ "${1:-}" = after ] || exit 0
for r in cpu memory disk; do echo "ANSWER: saturated-resource $r"; done
crontab -l | sed -n 's/.*perl \([a-z-]*\)\.pl.*/\1/p' | while read -r job; do
    echo "ANSWER: offending-job $job"
done
