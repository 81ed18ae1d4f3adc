#!/bin/bash
# restore-staging setup on prod (root): this session's marker donations and the donation the
# donor complains about, last night's backup published on the private backup share (HTTP, basic
# auth, port 8080), then the day's changes that the backup must NOT contain (new donations,
# refunds, deletions, among them the complained-about donation). The trainee works on staging
# and can reach prod only through the share and its public HTTPS.
set -euo pipefail
: "${LAB_MARKER:?}" "${LAB_ROWS:?}" "${LAB_SHARE_PW:?}" "${LAB_CHARITY:?}" "${LAB_REF:?}" "${LAB_AMOUNT:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ && $LAB_REF =~ ^[a-z0-9]+$ && $LAB_AMOUNT =~ ^[0-9]+$ ]]
SHARE=/var/backups/offsite
psql_prod() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }

# 1. Before the backup: donations to one charity, each identified by the session's marker.
psql_prod -v marker="$LAB_MARKER" -v rows="$LAB_ROWS" -v pick="$LAB_CHARITY" -v ref="$LAB_REF" -v amount="$LAB_AMOUNT" <<'SQL'
CREATE TEMP TABLE chosen AS
SELECT id FROM charities WHERE verification_status = 'verified'
 ORDER BY registration_number
OFFSET :pick % (SELECT count(*) FROM charities WHERE verification_status = 'verified') LIMIT 1;
INSERT INTO donations (id, donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, is_anonymous,
                       created_at, updated_at)
SELECT md5(:'marker' || ':' || i)::uuid, NULL, c.id, a.amount, 'ZAR',
       round(a.amount * 0.029 + 2, 2), a.amount - round(a.amount * 0.029 + 2, 2),
       'credit_card', 'completed', 'pi_' || :'marker' || '_' || i, true,
       now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval
  FROM generate_series(1, :rows) AS i
 CROSS JOIN chosen c
 CROSS JOIN LATERAL (SELECT (50 + ('x' || substr(md5(:'marker' || ':amount:' || i), 1, 6))::bit(24)::int % 4950)::numeric(12,2) AS amount) a;
UPDATE charities SET total_donations_received = total_donations_received
       + (SELECT sum(amount) FROM donations WHERE stripe_payment_intent_id LIKE 'pi_' || :'marker' || '\_%'),
       updated_at = now()
 WHERE id = (SELECT id FROM chosen);
INSERT INTO donations (donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, created_at, updated_at)
SELECT d.id, c.id, :amount, 'ZAR', round(:amount * 0.029 + 2, 2), :amount - round(:amount * 0.029 + 2, 2),
       'credit_card', 'completed', 'pi_' || :'ref', now() - interval '9 hours', now() - interval '9 hours'
  FROM (SELECT id FROM users WHERE user_type = 'donor' ORDER BY email LIMIT 1 OFFSET :pick % 500) d,
       (SELECT id FROM chosen) c;
SQL

# 2. Last night's backup, with the ops script, published on the share.
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database --label nightly >/dev/null
backup=$(find /var/backups/impactlink -mindepth 1 -maxdepth 1 -type d -name '*-database-nightly' | sort | tail -n 1)
install -d -o root -g www-data -m 750 "$SHARE"
cp -a "$backup" "$SHARE/"
chown -R root:www-data "$SHARE/$(basename "$backup")"
chmod 750 "$SHARE/$(basename "$backup")"
chmod 640 "$SHARE/$(basename "$backup")"/*

printf 'restore:%s\n' "$(openssl passwd -apr1 "$LAB_SHARE_PW")" >/etc/nginx/backup-share.htpasswd
chown root:www-data /etc/nginx/backup-share.htpasswd
chmod 640 /etc/nginx/backup-share.htpasswd
cat >/etc/nginx/sites-available/backup-share <<'NGINX'
# Backup share for the private network (staging pulls production backups from here).
server {
    listen 8080;
    server_name prod impactlink-prod;
    allow 10.0.0.0/8;
    allow 172.16.0.0/12;
    allow 192.168.0.0/16;
    allow 127.0.0.1;
    deny all;
    location /backups/ {
        alias /var/backups/offsite/;
        autoindex on;
        auth_basic "ImpactLink backups";
        auth_basic_user_file /etc/nginx/backup-share.htpasswd;
    }
}
NGINX
ln -sf /etc/nginx/sites-available/backup-share /etc/nginx/sites-enabled/backup-share
nginx -t -q
systemctl reload nginx

# 3. The day goes on after the backup: new donations, two refunds, four donations removed (the
# complained-about one among them).
psql_prod -v marker="$LAB_MARKER" -v rows="$LAB_ROWS" -v ref="$LAB_REF" <<'SQL'
INSERT INTO donations (id, donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, is_anonymous)
SELECT md5(:'marker' || ':late:' || i)::uuid, NULL, d.charity_id, 100 + i, 'ZAR', 0, 100 + i,
       'bank_transfer', 'completed', 'pi_' || :'marker' || '_late_' || i, false
  FROM generate_series(1, 5 + :rows % 7) AS i
 CROSS JOIN (SELECT charity_id FROM donations WHERE id = md5(:'marker' || ':1')::uuid) d;
UPDATE donations SET payment_status = 'refunded', updated_at = now()
 WHERE stripe_payment_intent_id IN ('pi_' || :'marker' || '_1', 'pi_' || :'marker' || '_2');
DELETE FROM donations WHERE id IN (
    SELECT id FROM donations WHERE stripe_payment_intent_id NOT LIKE 'pi_' || :'marker' || '%'
     ORDER BY md5(id::text || :'marker') LIMIT 3);
DELETE FROM donations WHERE stripe_payment_intent_id = 'pi_' || :'ref';
SQL
