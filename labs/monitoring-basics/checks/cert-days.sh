#!/bin/bash
# Compute: the whole days the certificate Nginx serves has left, counted as health-check.sh counts.
set -uo pipefail
end=$(echo | /usr/bin/openssl s_client -connect "$HOST_IP:443" -servername "$ACADEMY_DOMAIN" 2>/dev/null |
    /usr/bin/openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)
[ -n "$end" ] || exit 3
echo $(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
