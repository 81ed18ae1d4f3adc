#!/bin/bash
# forgery: Rotate in PostgreSQL and the files but do not restart the API; backdate .env so it looks older than the API
# class: teaches
# targets: rotate
set -uo pipefail
[ "${1:-}" = before ] || exit 0
cd ~/app
NEW=$(openssl rand -hex 24)
printf "ALTER ROLE impactlink PASSWORD '%s';\n" "$NEW" | sudo -u postgres psql -X -q
sed -i -E "s#^(DATABASE_URL=postgres(ql)?://[^:]+:)[^@]*@#\1${NEW}@#" .env
sed -i -E "s#^([^:]+:5432:\*:impactlink:).*#\1${NEW}#" ~/.pgpass
touch -d '2 hours ago' .env
