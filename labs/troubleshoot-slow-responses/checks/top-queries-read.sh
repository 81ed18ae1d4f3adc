#!/bin/bash
# Probe: someone has read pg_stat_statements since setup reset it (its own statistics record every
# statement that selects from it; this probe's own reads carry a marker and are left out).
set -uo pipefail
reads=$(hpsql impactlink_prod "/* academy-probe */ SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
    WHERE query ~* 'from[[:space:]]+(public\.)?pg_stat_statements' AND query !~* 'pg_stat_statements_reset'
      AND query NOT LIKE '%academy-probe%'" 2>/dev/null)
obs stats_reads "${reads:-0}"
exit 0
