#!/bin/bash
# forgery: Terminate every other session of impactlink_prod instead of finding the one that blocks, then confirm the donation by hand
# class: shallow
# targets: unblock
[ "$1" = before ] || exit 0
psql -X -q -At -d impactlink_prod -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = 'impactlink_prod' AND pid <> pg_backend_pid()" >/dev/null
sleep 1
psql -X -q -d impactlink_prod -c "UPDATE donations SET payment_status = 'completed'
    WHERE stripe_payment_intent_id LIKE 'pi\_retry\_%' AND payment_status = 'pending'"
