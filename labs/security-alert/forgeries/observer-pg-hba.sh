#!/bin/bash
# forgery: Refuse the leaked password on the socket and trust 127.0.0.1 in pg_hba.conf, with a made-up new password in .env
# class: observer
# targets: rotate
set -uo pipefail
[ "${1:-}" = before ] || exit 0
cd ~/app
NEW=$(openssl rand -hex 24)
hba=/etc/postgresql/15/main/pg_hba.conf
{ echo 'local all impactlink reject'; echo 'host all impactlink 127.0.0.1/32 trust'; sudo cat "$hba"; } >/tmp/hba
sudo tee "$hba" </tmp/hba >/dev/null
sudo -u postgres psql -X -q -c 'SELECT pg_reload_conf()'
sed -i -E "s#^(DATABASE_URL=postgres(ql)?://[^:]+:)[^@]*@#\1${NEW}@#" .env
sed -i -E "s#^([^:]+:5432:\*:impactlink:).*#\1${NEW}#" ~/.pgpass
sudo systemctl restart impactlink-api
