#!/bin/bash
# database-basics (root): a payment webhook's update of a pending donation waits for a row lock
# that a finance export took in a transaction it never finished ("idle in transaction"). Also the
# reset of the unblock task: both sessions start over on a new pending donation.
set -euo pipefail
sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
# The clients of an earlier round end their sessions themselves (end of input: the export rolls
# back, then the webhook's update goes through), so no session counts as terminated.
pkill -u impactlink -f '^sleep 864001$' 2>/dev/null || true
for _ in $(seq 50); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity
                  WHERE application_name IN ('finance-export', 'stripe-webhook')")" = 0 ] && break
    sleep 0.2
done
intent="pi_retry_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sql -c "UPDATE donations SET stripe_payment_intent_id = 'pi_' || substr(md5(random()::text), 1, 24)
         WHERE stripe_payment_intent_id LIKE 'pi_retry_%'"
sql -c "INSERT INTO donations (donor_id, charity_id, amount, net_amount, transaction_fee, payment_status,
                               stripe_payment_intent_id, created_at, updated_at)
        SELECT donor_id, charity_id, amount, net_amount, transaction_fee, 'pending', '$intent', now(), now()
          FROM donations WHERE payment_status = 'completed' ORDER BY created_at DESC LIMIT 1"
session() {   # $1 application name, $2 SQL; the client keeps its connection open afterwards
    setsid runuser -u impactlink -- env HOME=/home/impactlink PGAPPNAME="$1" bash -c \
        '{ printf "%s\n" "$1"; exec sleep 864001; } | psql -X -q -d impactlink_prod' _ "$2" \
        </dev/null >/dev/null 2>&1 &
}
session finance-export "BEGIN; SELECT id FROM donations WHERE stripe_payment_intent_id = '$intent' FOR UPDATE;"
for _ in $(seq 50); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'finance-export'
                  AND state = 'idle in transaction'")" = 1 ] && break
    sleep 0.2
done
session stripe-webhook "UPDATE donations SET payment_status = 'completed', updated_at = now() WHERE stripe_payment_intent_id = '$intent';"
for _ in $(seq 50); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stripe-webhook'
                  AND wait_event_type = 'Lock'")" = 1 ] && exit 0
    sleep 0.2
done
echo "the webhook's update is not waiting for the lock" >&2
exit 1
