#!/bin/bash
# Probe, expected answer: the PID of the API (node server.js) in the host's process table, as the
# Docker engine sees it.
set -uo pipefail
pid=$(awk 'NR > 1 && $7 == "node" && / server\.js/ {print $1}' "$ACADEMY_RUN/ps" | head -n 1)
echo "${pid:-no-api-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
