#!/bin/bash
# Probe: the certificate Nginx serves now is valid, issued by the internal CA for the domain,
# renewed on this server after it started (so not a copy of an older certificate), and good for
# more than the 30 days at which the policy renews.
set -uo pipefail
CA=/opt/srv-seed/etc/impactlink/pki/ca.crt
tmp=$(mktemp -d)
echo | /usr/bin/openssl s_client -connect "$HOST_IP:443" -servername "$ACADEMY_DOMAIN" 2>/dev/null |
    /usr/bin/openssl x509 -outform PEM >"$tmp/leaf.pem" 2>/dev/null
if [ ! -s "$tmp/leaf.pem" ]; then
    obs served 0
    rm -rf "$tmp"; exit 0
fi
obs served 1
obs trusted "$(/usr/bin/openssl verify -no_check_time -CAfile "$CA" -verify_hostname "$ACADEMY_DOMAIN" "$tmp/leaf.pem" >/dev/null 2>&1 && echo 1 || echo 0)"
end=$(/usr/bin/openssl x509 -noout -enddate -in "$tmp/leaf.pem" | cut -d= -f2)
start=$(/usr/bin/openssl x509 -noout -startdate -in "$tmp/leaf.pem" | cut -d= -f2)
now=$(date +%s)
obs days_left $(( ($(date -d "$end" +%s) - now) / 86400 ))
# The server's boot: PID 1's age in the engine's process table. impactlink-issue-cert dates a
# certificate from an hour before it was issued.
booted=$(awk 'NR > 1 && $1 == 1 {print $5}' "$ACADEMY_RUN/ps")
issued=$(( $(date -d "$start" +%s) + 3600 ))
obs issued_here "$([ -n "$booted" ] && [ "$issued" -ge $((now - booted - 60)) ] && echo 1 || echo 0)"
rm -rf "$tmp"
exit 0
