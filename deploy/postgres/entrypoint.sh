#!/bin/sh
# Start PostgreSQL as the postgres user; on the first start make the cluster, the platform's
# role (password authentication) and its database. Runs as root only to fix ownership.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user="${POSTGRES_USER:-academy}"
database="${POSTGRES_DB:-academy}"
sockets=/run/postgresql
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

install -d -o postgres -g postgres -m 700 "$PGDATA"
install -d -o postgres -g postgres -m 2775 "$sockets"
# The socket folder is a volume that outlives the container: a stale lock from a killed server
# would make this one refuse to start.
rm -f "$sockets"/.s.PGSQL.*

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "academy-postgres: creating the cluster, role $user and database $database"
  as_postgres initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=reject >/dev/null
  cat > "$PGDATA/pg_hba.conf" <<HBA
# Only the socket: postgres by peer (this container's maintenance), everyone else by password.
local all postgres peer
local all all scram-sha-256
HBA
  private=$(mktemp -d)
  chown postgres "$private"
  as_postgres pg_ctl --pgdata="$PGDATA" --silent --wait \
    -o "-c listen_addresses='' -c unix_socket_directories=$private" start >/dev/null
  as_postgres psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$private" \
    --username=postgres --dbname=postgres \
    --set=user="$user" --set=password="$POSTGRES_PASSWORD" --set=database="$database" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"user";
SQL
  as_postgres pg_ctl --pgdata="$PGDATA" --silent --wait -m fast stop >/dev/null
  rmdir "$private" 2>/dev/null || true
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
  postgres -D "$PGDATA" -c listen_addresses='' -c unix_socket_directories="$sockets" "$@"
