#!/bin/bash
# Probe, task certificate: the certificate Nginx serves chains to the internal CA (the probe's own
# pristine copy of it), is valid now and for more than 30 more days, was issued after the night's
# faults (the exam's donation marks when they began), is not the server's original certificate put
# back, and is the one in /etc/nginx/ssl/impactlink.crt (so a restart serves it too).
set -uo pipefail
CA=/opt/srv-seed/etc/impactlink/pki/ca.crt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/timeout 8 /usr/bin/openssl s_client -connect "$HOST_IP:443" -servername "$ACADEMY_DOMAIN" </dev/null 2>/dev/null |
    /usr/bin/openssl x509 -out "$work/served.pem" 2>/dev/null
if [ ! -s "$work/served.pem" ]; then
    obs served 0
    exit 0
fi
obs served 1
fp() { /usr/bin/openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null | cut -d= -f2; }
/usr/bin/openssl verify -CAfile "$CA" -purpose sslserver "$work/served.pem" >/dev/null 2>&1 && obs chain_ok 1 || obs chain_ok 0
/usr/bin/openssl x509 -noout -checkend 2592000 -in "$work/served.pem" >/dev/null 2>&1 && obs valid_30_days 1 || obs valid_30_days 0
issued=$(date -d "$(/usr/bin/openssl x509 -noout -startdate -in "$work/served.pem" | cut -d= -f2)" +%s 2>/dev/null || echo 0)
fault=$(hpsql impactlink_prod "SELECT coalesce(min(extract(epoch FROM created_at))::bigint, 0) FROM donations
                                WHERE stripe_payment_intent_id LIKE 'pi\_exam\_%'")
# impactlink-issue-cert dates a certificate from an hour before it is issued.
[ "${fault:-0}" -gt 0 ] && [ "$issued" -ge $((fault - 3600 - 120)) ] && obs issued_after_fault 1 || obs issued_after_fault 0
/usr/bin/openssl x509 -out "$work/seed.pem" -in /opt/srv-seed/etc/nginx/ssl/impactlink.crt 2>/dev/null
[ "$(fp "$work/served.pem")" != "$(fp "$work/seed.pem")" ] && obs not_original 1 || obs not_original 0
/usr/bin/openssl x509 -out "$work/file.pem" -in /etc/nginx/ssl/impactlink.crt 2>/dev/null
[ -s "$work/file.pem" ] && [ "$(fp "$work/served.pem")" = "$(fp "$work/file.pem")" ] && obs file_served 1 || obs file_served 0
exit 0
