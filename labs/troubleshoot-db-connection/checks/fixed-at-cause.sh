#!/bin/bash
# Probe: the database side is as designed again, whatever broke it. PostgreSQL's configuration
# files (and ALTER SYSTEM's postgresql.auto.conf) are the ones the server was built with and the
# running server uses their connection settings; no role or database was added to make a wrong
# name work; ~/app/.env holds the built settings and the running API started after it last
# changed; one node process (no job left holding connections); no session left idle in a
# transaction in impactlink_prod.
set -uo pipefail
SEED=/opt/srv-seed
ENV_FILE=/home/impactlink/app/.env
PGETC=/etc/postgresql/15/main
PS_TABLE=$ACADEMY_RUN/ps
sql() { hpsql impactlink_prod "$1" 2>/dev/null; }


# Configuration files without comments, blank lines and indentation, as built.
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
config_ok=1
[ "$(cd "$PGETC" 2>/dev/null && find . \( -type f -o -type l \) -name '*.conf' | sort)" = "$(cd "$SEED$PGETC" && find . \( -type f -o -type l \) -name '*.conf' | sort)" ] || config_ok=0
while IFS= read -r -d '' file; do
    rel=${file#"$SEED$PGETC"/}
    [ "$(norm "$PGETC/$rel")" = "$(norm "$file")" ] || config_ok=0
done < <(find "$SEED$PGETC" -type f -print0)
auto=/var/lib/postgresql/15/main/postgresql.auto.conf
[ "$(norm "$auto")" = "$(norm "$SEED$auto")" ] || config_ok=0
obs postgres_config_as_designed "$config_ok"

# The running server's connection settings are the built ones, and nothing is set per role or
# database (ALTER ROLE/DATABASE ... SET, e.g. a session timeout that hides leaked transactions).
built_max=$(sed -n 's/^[[:space:]]*max_connections[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$SEED$PGETC/conf.d/impactlink.conf" | tail -n 1)
live=$(sql "SELECT current_setting('max_connections') || ' ' || current_setting('superuser_reserved_connections')
    || ' ' || current_setting('idle_in_transaction_session_timeout') || ' ' || (SELECT count(*) FROM pg_db_role_setting)")
obs postgres_settings_as_designed "$([ -n "$built_max" ] && [ "$live" = "$built_max 3 0 0" ] && echo 1 || echo 0)"

extra=$(sql "SELECT (SELECT count(*) FROM pg_roles WHERE rolname !~ '^pg_' AND rolname NOT IN ('postgres', 'impactlink'))
    + (SELECT count(*) FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1', 'impactlink_prod'))")
obs roles_and_databases_as_designed "$([ "$extra" = 0 ] && echo 1 || echo 0)"

# .env: the same settings (KEY=VALUE, order and comments aside) as the server was built with.
envset() { sed -e 's/\r$//' -e 's/^[[:space:]]*//' "$1" 2>/dev/null | grep -E '^[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' | sed 's/[[:space:]]*=[[:space:]]*/=/' | sort; }
env_ok=0
if [ -L "$ENV_FILE" ] || [ ! -f "$ENV_FILE" ]; then
    tamper "~/app/.env is not a regular file"
elif [ "$(envset "$ENV_FILE")" = "$(envset "$SEED$ENV_FILE")" ]; then
    env_ok=1
fi
obs env_as_designed "$env_ok"

health=$(hcurl -s --max-time 5 "https://$ACADEMY_DOMAIN/api/v1/health")
started=$(api_start_ms "$health")
env_changed=$(stat -c %.3Z "$ENV_FILE" 2>/dev/null | tr -d .)
restarted=0
[ -n "$started" ] && [ -n "$env_changed" ] && [ "$started" -ge "$env_changed" ] && restarted=1
obs api_restarted_after_change "$restarted"

nodes=$(awk 'NR > 1 && $7 == "node"' "$PS_TABLE" | wc -l)
obs single_api_process "$([ "$nodes" = 1 ] && echo 1 || echo 0)"

stuck=$(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = 'impactlink_prod'
    AND state LIKE 'idle in transaction%' AND state_change < now() - interval '2 seconds'")
obs no_stuck_sessions "$([ "$stuck" = 0 ] && echo 1 || echo 0)"
exit 0
