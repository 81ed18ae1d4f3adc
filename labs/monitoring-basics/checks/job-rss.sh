#!/bin/bash
# Compute: the resident memory, in MB, of the process holding the most memory apart from the
# server's services and shells, from the host's process table as the Docker engine sees it.
set -uo pipefail
awk 'NR > 1 && $7 !~ /^(postgres|node|redis-server|nginx|netdata|bash|sh|sudo|su|tini|cron|sshd|curl|prometheus-node|runuser|setpriv|sleep|ps|top|htop|less|vi|nano|watch)$/ {
        if ($4 > max) max = $4 }
     END { if (max > 0) printf "%d\n", max / 1024 }' "$ACADEMY_RUN/ps"
