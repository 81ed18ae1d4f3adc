#!/bin/bash
# Drop every index on donations except its primary key, so the task starts over.
set -euo pipefail
su_sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
for index in $(su_sql -c "SELECT indexrelid::regclass FROM pg_index
    WHERE indrelid = 'donations'::regclass AND NOT indisprimary"); do
  su_sql -c "DROP INDEX $index"
done
