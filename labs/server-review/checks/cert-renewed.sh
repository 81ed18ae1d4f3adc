#!/bin/bash
# Probe: the certificate Nginx serves for the production domain (read over TLS from outside the
# host) is signed by the server's CA as built (/opt/srv-seed), names the domain, has at least the
# days left the rule asks for, and is the certificate in Nginx's configured file (so Nginx was
# reloaded after the renewal and serves what is on disk).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/openssl s_client -connect "$HOST_IP:443" -servername "$ACADEMY_DOMAIN" -showcerts </dev/null 2>/dev/null |
    /usr/bin/openssl x509 >"$work/leaf.pem" 2>/dev/null
if [ ! -s "$work/leaf.pem" ]; then
    obs served_verifies 0
    exit 0
fi
verifies=0
/usr/bin/openssl verify -CAfile /opt/srv-seed/etc/impactlink/pki/ca.crt "$work/leaf.pem" >/dev/null 2>&1 && verifies=1
obs served_verifies "$verifies"
names=0
/usr/bin/openssl x509 -noout -ext subjectAltName -in "$work/leaf.pem" 2>/dev/null | grep -qF "DNS:$ACADEMY_DOMAIN" && names=1
obs served_names_domain "$names"
end=$(/usr/bin/openssl x509 -noout -enddate -in "$work/leaf.pem" | cut -d= -f2)
obs served_days_left "$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))"
served=$(/usr/bin/openssl x509 -noout -fingerprint -sha256 -in "$work/leaf.pem")
configured=$(sed -n 's/^[[:space:]]*ssl_certificate[[:space:]]\+\([^;]*\);.*/\1/p' /etc/nginx/sites-available/impactlink | head -n 1)
on_disk=$(/usr/bin/openssl x509 -noout -fingerprint -sha256 -in "${configured:-/nonexistent}" 2>/dev/null)
obs served_matches_file "$([ -n "$on_disk" ] && [ "$served" = "$on_disk" ] && echo 1 || echo 0)"
exit 0
