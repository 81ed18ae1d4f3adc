#!/bin/bash
# Start from production as it is, with one fresh donation whose reference is this session's marker.
set -euo pipefail
as_postgres() { runuser -u postgres -- "$@"; }
as_postgres dropdb --if-exists --force impactlink_verify
rm -rf /var/backups/impactlink/2* /var/backups/impactlink/latest /var/backups/impactlink/latest-database
as_postgres psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod \
  -v marker="pi_drill_${LAB_MARKER}" -v amount="${LAB_AMOUNT}" <<'SQL'
INSERT INTO donations (donor_id, charity_id, amount, transaction_fee, net_amount, currency,
                       payment_method, payment_status, stripe_payment_intent_id, created_at, updated_at)
SELECT donor.id, charity.id, :amount, round(:amount * 0.029, 2), :amount - round(:amount * 0.029, 2),
       'ZAR', 'credit_card', 'completed', :'marker', now(), now()
  FROM (SELECT id FROM users WHERE user_type = 'donor' ORDER BY created_at DESC LIMIT 1) AS donor,
       (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY name LIMIT 1) AS charity;
SQL
