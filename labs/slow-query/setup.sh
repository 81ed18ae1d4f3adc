#!/bin/bash
# slow-query setup (root): production as found, no index on the donations foreign keys, and DDL
# statements logged (as production's DBA asked), so every index build leaves its statement in
# PostgreSQL's log. load.sh then replays the load the complaint describes.
set -euo pipefail
su_sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
for index in $(su_sql -c "SELECT i.indexrelid::regclass FROM pg_index i
    WHERE i.indrelid = 'donations'::regclass AND NOT i.indisprimary"); do
  su_sql -c "DROP INDEX $index"
done
su_sql -c "ALTER SYSTEM SET log_statement = 'ddl'" -c "SELECT pg_reload_conf()" >/dev/null
