#!/bin/bash
# practical-exam setup (root): one night, four faults of fixed families with drawn details.
#  1. web:         Nginx's upstream moved to a drawn wrong port (502 for every API call)
#  2. cache:       Redis stopped (the API answers 503, cache "error")
#  3. certificate: the served certificate expired, or expires in a drawn number of days
#  4. backup:      a drawn runaway file filled /srv, so last night's full backup failed
# Before the faults: an earlier good backup, then a donation (reference pi_exam_<marker>) that
# only a backup taken after it can hold.
set -euo pipefail
: "${LAB_PORT:?}" "${LAB_CERT:?}" "${LAB_JUNK_DIR:?}" "${LAB_JUNK:?}" "${LAB_MARKER:?}"
[[ $LAB_PORT =~ ^[0-9]+$ && $LAB_JUNK =~ ^[a-z0-9]+$ && $LAB_MARKER =~ ^[a-z0-9]+$ ]]
SITE=/etc/nginx/sites-available/impactlink
DOMAIN=impactlink.solovedhelpinghands.org.za
as_ops() { runuser -u impactlink -- "$@"; }

# Normal traffic and the earlier good backup.
for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done
as_ops /home/impactlink/scripts/backup.sh database --label nightly >/dev/null

# A donation after that backup.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod -v ref="pi_exam_$LAB_MARKER" <<'SQL'
INSERT INTO donations (donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, created_at, updated_at)
SELECT u.id, c.id, 250, 'ZAR', 9.25, 240.75, 'credit_card', 'completed', :'ref', now(), now()
  FROM (SELECT id FROM users WHERE user_type = 'donor' ORDER BY email LIMIT 1) u,
       (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY registration_number LIMIT 1) c;
SQL

# 1. The upstream edited during a "quick test" and never put back.
sed -i "s/server 127\.0\.0\.1:5000;/server 127.0.0.1:$LAB_PORT;/" "$SITE"
grep -q "server 127.0.0.1:$LAB_PORT;" "$SITE"

# 3. The certificate.
if [ "$LAB_CERT" = expired ]; then
    impactlink-issue-cert --expired --reuse-key >/dev/null
else
    impactlink-issue-cert --days "$LAB_CERT" --reuse-key >/dev/null
fi
nginx -t -q
systemctl reload nginx

# 2. Redis gone.
systemctl stop redis-server

# 4. A runaway file fills the disk; the nightly full backup then fails.
case $LAB_JUNK_DIR in
    /var/tmp) junk=/var/tmp/pg-export-$LAB_JUNK.sql ;;
    /var/log/impactlink) junk=/var/log/impactlink/debug-$LAB_JUNK.log ;;
    /home/impactlink) junk=/home/impactlink/donations-$LAB_JUNK.csv ;;
    *) echo "unknown junk folder" >&2; exit 2 ;;
esac
avail=$(df -B1 --output=avail /srv | tail -n 1 | tr -d ' ')
fallocate -l $((avail - 3 * 1024 * 1024)) "$junk"
case $LAB_JUNK_DIR in /home/impactlink*) chown impactlink:impactlink "$junk" ;; esac
as_ops bash -c '/home/impactlink/scripts/backup.sh full >>/var/log/impactlink/backup.log 2>&1' || true

# Users and the monitor keep calling.
for _ in 1 2 3; do
    for path in /api/v1/health /api/v1/charities /health; do
        curl -s -k -o /dev/null "https://$DOMAIN$path"
    done
done
as_ops bash -c '/home/impactlink/scripts/health-check.sh --quiet --notify >>/var/log/impactlink/health.log 2>&1' || true
code=$(curl -s -k -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")
[ "$code" = 502 ] || { echo "expected a 502 after the faults, got $code" >&2; exit 1; }
