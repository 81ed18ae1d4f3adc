#!/bin/bash
# The leaked password no longer logs in, over TCP or the socket, while PostgreSQL is up.
set -uo pipefail
: "${LAB_DBPW:?}"
if ! runuser -u postgres -- psql -X -At -d impactlink_prod -c 'SELECT 1' >/dev/null 2>&1; then
    echo "FAIL: PostgreSQL does not answer, so the old password cannot be tested."
    exit 1
fi
for host in 127.0.0.1 /var/run/postgresql; do
    out=$(PGPASSWORD="$LAB_DBPW" PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=5 \
        psql -X -At -h "$host" -U impactlink -d impactlink_prod -c 'SELECT 1' 2>&1)
    if [ "$out" = 1 ]; then
        echo "FAIL: the leaked password still logs in as impactlink (via $host)."
        echo "HINT: Change the role's password in PostgreSQL itself: ALTER ROLE impactlink PASSWORD ..."
        exit 1
    fi
    if ! grep -q 'password authentication failed' <<<"$out"; then
        echo "FAIL: the login with the leaked password failed for another reason than the password."
        echo "DETAIL: $host: $out"
        exit 1
    fi
done
echo "DETAIL: the leaked password is refused over TCP and the socket"
