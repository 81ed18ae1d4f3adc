#!/bin/bash
# forgery: Put a new password in .env and ~/.pgpass and restart the API, without changing it in PostgreSQL
# class: shallow
# targets: rotate
set -uo pipefail
[ "${1:-}" = before ] || exit 0
cd ~/app
NEW=$(openssl rand -hex 24)
sed -i -E "s#^(DATABASE_URL=postgres(ql)?://[^:]+:)[^@]*@#\1${NEW}@#" .env
sed -i -E "s#^([^:]+:5432:\*:impactlink:).*#\1${NEW}#" ~/.pgpass
sudo systemctl restart impactlink-api
