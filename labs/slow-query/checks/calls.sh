#!/bin/bash
# Probe, expected answer: how often the slow donations statement has run, read live from
# pg_stat_statements (the trainee's own runs of it count too). Only while the statistics still
# hold the load setup replayed around it: after a reset the count would be whatever anyone
# typed next, so the expected value is then one nobody can type.
set -uo pipefail
# The probe's own statements stay out of the statistics the trainee reads.
sql() { PGOPTIONS='-c pg_stat_statements.track=none' hpsql impactlink_prod "$1"; }
genuine=$(sql "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proname = 'pg_stat_statements'
      AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
      AND p.probin = '\$libdir/pg_stat_statements'" 2>/dev/null)
# The everyday statements replayed with the slow one, each with at least its replayed calls.
intact=$(sql "SELECT count(*) FILTER (WHERE query LIKE 'SELECT id, email, user_type FROM users WHERE email = \$1%' AND calls >= 200)
              + count(*) FILTER (WHERE query LIKE 'SELECT id, title, target_amount, raised_amount FROM projects WHERE charity_id = \$1%' AND calls >= 100)
              + count(*) FILTER (WHERE query LIKE 'SELECT count(*), sum(amount) FROM donations WHERE created_at > now() - %' AND calls >= 12)
              + count(*) FILTER (WHERE query LIKE 'SELECT id, name, city FROM charities WHERE verification_status = %' AND calls >= 21)
         FROM public.pg_stat_statements(true)
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'impactlink_prod')" 2>/dev/null)
calls=""
if [ "$genuine" = 1 ] && [ "${intact:-0}" -ge 4 ]; then
    calls=$(sql "SELECT calls FROM public.pg_stat_statements(true)
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'impactlink_prod')
          AND query ~ '^SELECT id, amount, created_at FROM donations WHERE (donor_id|charity_id) = \\\$1 ORDER BY created_at DESC LIMIT \\\$2'
        ORDER BY total_exec_time DESC LIMIT 1" 2>/dev/null)
fi
if [[ $calls =~ ^[0-9]+$ ]] && [ "$calls" -gt 0 ]; then
    echo "$calls"
else
    echo "no-statistics-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
fi
