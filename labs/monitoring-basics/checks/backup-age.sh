#!/bin/bash
# Compute: the age in whole hours of the newest database dump, counted as health-check.sh counts.
set -uo pipefail
newest=$(find /var/backups/impactlink -mindepth 2 -maxdepth 2 -name impactlink_prod.dump -printf '%T@\n' 2>/dev/null | sort -n | tail -n 1)
[ -n "$newest" ] || exit 3
echo $(( ($(date +%s) - ${newest%%.*}) / 3600 ))
