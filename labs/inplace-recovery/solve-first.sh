#!/bin/bash
# inplace-recovery reference solution, part 1 (as impactlink): read the report and post the
# first status update at once, before any diagnosis (the platform stamps it when it arrives).
set -euo pipefail
cat ~/INCIDENT.md
ticket=$(grep -o 'INC-[0-9]*' ~/INCIDENT.md | head -n 1)
next=$(date -d '+15 min' '+%H:%M %Z')
echo "UPDATE: investigating [$ticket] Investigating: some pages of the site show an error to donors. Donations already made are not affected as far as we know. We are looking into it. Next update by $next."
