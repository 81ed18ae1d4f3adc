#!/bin/bash
# Print how often the session's slow statement has run, read live from pg_stat_statements.
set -euo pipefail
runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod -c "
  SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
   WHERE query ILIKE 'SELECT id, amount, created_at FROM donations WHERE ${LAB_COLUMN} = \$1%'"
