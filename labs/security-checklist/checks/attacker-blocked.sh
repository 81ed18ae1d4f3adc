#!/bin/bash
# Shell check on the scanner host (no terminal, no SSH, no keys: out of the trainee's reach): the
# attacking address can no longer open a connection to the server's HTTPS or SSH port. This must
# run from that address; nothing else can send from it.
set -uo pipefail
prod=$(getent ahostsv4 prod | awk 'NR == 1 {print $1}')
[ -n "$prod" ] || exit 3
# Both ports at once: a dropped connection waits for the timeout, an open one answers at once.
open=0
for port in 443 22; do
    timeout 3 bash -c "exec 3<>/dev/tcp/$prod/$port" 2>/dev/null &
done
for job in $(jobs -p); do wait "$job" && open=1; done
if [ "$open" = 1 ]; then
    echo "FAIL: The attacking address can still open connections to the server."
    exit 1
fi
exit 0
