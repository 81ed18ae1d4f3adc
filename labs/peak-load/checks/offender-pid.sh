#!/bin/bash
# Compute: the PID of the job saturating the server, live; once it is stopped, the PID it had
# (its own pid file), so an answer given while it ran stays right.
set -uo pipefail
: "${LAB_JOB:?}"
live=$(pgrep -x "$LAB_JOB" | head -n 1)
if [ -n "$live" ]; then
    echo "$live"
else
    cat "/home/impactlink/jobs/$LAB_JOB.pid"
fi
