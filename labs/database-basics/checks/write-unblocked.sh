#!/bin/bash
# Probe: the finance export's session (idle in a transaction, holding the row lock) is gone, the
# payment webhook's session is still connected and its update of the donation went through, and
# PostgreSQL counts at least one session of impactlink_prod ended by an operator
# (pg_stat_database.sessions_killed: pg_terminate_backend or a SIGTERM to the backend; a client
# killed on the shell side counts as abandoned, a restart of PostgreSQL ends the webhook too).
set -uo pipefail
sql() { hpsql impactlink_prod "$1" 2>/dev/null; }
obs blocker_sessions "$(sql "SELECT count(*) FROM pg_stat_activity
    WHERE datname = 'impactlink_prod' AND application_name = 'finance-export'")"
obs writer_sessions "$(sql "SELECT count(*) FROM pg_stat_activity
    WHERE datname = 'impactlink_prod' AND application_name = 'stripe-webhook'")"
obs donation_status "$(sql "SELECT payment_status FROM public.donations
    WHERE stripe_payment_intent_id LIKE 'pi\\_retry\\_%' ORDER BY created_at DESC LIMIT 1")"
obs sessions_terminated "$(sql "SELECT sessions_killed FROM pg_stat_database WHERE datname = 'impactlink_prod'")"
exit 0
