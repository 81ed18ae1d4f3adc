#!/bin/bash
# common-operations reference solution, as impactlink: read the ticket's account, promote and
# demote in transactions with an audit note, delete the stale charity lists from Redis, and read
# the API's PID. The tickets' addresses and number are in the lab's text (the LAB_ values).
set -euo pipefail
sql() { psql -U impactlink -d impactlink_prod -X -q -At -v ON_ERROR_STOP=1 "$@"; }
c="$LAB_C_NAME.dlamini$LAB_C_NUM@outlook.com"
a="${LAB_A_NAME^}.Naidoo$LAB_A_NUM@impactlink.org.za"   # as typed in a ticket: lower() finds it
b="$LAB_B_NAME.botha$LAB_B_NUM@impactlink.org.za"
ticket=$LAB_TICKET

sql -c "SELECT id, email, user_type, is_verified, last_login FROM users WHERE lower(email) = lower('$c')"
echo "ANSWER: account-id $(sql -c "SELECT id FROM users WHERE lower(email) = lower('$c')")"
echo "ANSWER: last-login $(sql -c "SELECT to_char(last_login, 'YYYY-MM-DD') FROM users WHERE lower(email) = lower('$c')")"

# Promote in a transaction; the tags psql prints must include UPDATE 1 before the COMMIT.
out=$(psql -U impactlink -d impactlink_prod -X -c "BEGIN" \
    -c "UPDATE users SET user_type = 'admin' WHERE lower(email) = lower('$a')" -c "COMMIT")
echo "$out"
grep -qx 'UPDATE 1' <<<"$out"
id=$(sql -c "SELECT id FROM users WHERE lower(email) = lower('$a')")
mkdir -p ~/audit
cat >~/audit/ADM-"$ticket".txt <<NOTE
Ticket ADM-$ticket, approved by the DevOps Lead.
Account $id promoted to admin at $(date '+%Y-%m-%d %H:%M %Z') by $(whoami):
  BEGIN; UPDATE users SET user_type = 'admin' WHERE lower(email) = lower('<address in the ticket>'); -- UPDATE 1; COMMIT;
NOTE
out=$(psql -U impactlink -d impactlink_prod -X -c "BEGIN" \
    -c "UPDATE users SET user_type = 'donor' WHERE lower(email) = lower('$b')" -c "COMMIT")
echo "$out"
grep -qx 'UPDATE 1' <<<"$out"
echo "Account $(sql -c "SELECT id FROM users WHERE lower(email) = lower('$b')") (leaver) demoted to donor at $(date '+%Y-%m-%d %H:%M %Z')." \
    >>~/audit/ADM-"$ticket".txt
cat ~/audit/ADM-"$ticket".txt

# Only the charity lists are stale: delete those keys, then read a list twice (MISS, then HIT).
# (A login shell has REDISCLI_AUTH from ~/.profile; this script may not run in one.)
[ -n "${REDISCLI_AUTH:-}" ] || REDISCLI_AUTH=$(sed -n 's/^REDIS_PASSWORD=//p' ~/app/.env)
export REDISCLI_AUTH
redis-cli DBSIZE
redis-cli --scan --pattern 'charities:list:*' | xargs -r redis-cli DEL
redis-cli DBSIZE
for _ in 1 2; do
    curl -s -D - -o /dev/null 'https://impactlink.solovedhelpinghands.org.za/api/v1/charities?page=1' | grep -i '^x-cache'
done

ps aux | grep '[n]ode'
echo "ANSWER: api-pid $(pgrep -f 'node server\.js' | head -n 1)"
