#!/bin/bash
# Probe: migration 002 was applied by the runner (its DDL and its schema_migrations row committed
# in one transaction, recorded with the checksum of v1.1.0's file) and its backfill is in place.
set -uo pipefail
want_sum=$(hgit -C /opt/srv-seed/home/impactlink/app \
    show v1.1.0:migrations/002_charity_section18a.sql | sha256sum | cut -d' ' -f1)
row=$(hpsql impactlink_prod "SELECT (m.xmin = a.xmin), m.checksum = '$want_sum'
   FROM public.schema_migrations m
   LEFT JOIN pg_attribute a ON a.attrelid = 'public.charities'::regclass AND a.attname = 'section18a_approved'
  WHERE m.version = '002'" 2>/dev/null)
obs migration_by_runner "$([ "$row" = 't|t' ] && echo 1 || echo 0)"
counts=$(hpsql impactlink_prod "SELECT count(*) FILTER (WHERE section18a_approved),
        count(*) FILTER (WHERE section18a_approved IS DISTINCT FROM coalesce(verification_status = 'verified'
                                    AND abs(hashtext(registration_number)) % 3 <> 0, false))
   FROM public.charities" 2>/dev/null)
IFS='|' read -r approved wrong <<<"$counts"
obs backfill_matches "$([ -n "$approved" ] && [ "$approved" -gt 0 ] && [ "$wrong" = 0 ] && echo 1 || echo 0)"
exit 0
