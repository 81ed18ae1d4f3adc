#!/bin/bash
# common-operations setup (root): the accounts of this shift's tickets (one to look up, one that
# registered to become an admin, one admin who left), a charity whose misspelt name a colleague
# corrected in the database after the public lists had cached it, and the API started again once
# the process ids have moved on by this session's amount.
set -euo pipefail
: "${LAB_C_NAME:?}" "${LAB_C_NUM:?}" "${LAB_A_NAME:?}" "${LAB_A_NUM:?}" "${LAB_B_NAME:?}" "${LAB_B_NUM:?}"
: "${LAB_FIXED:?}" "${LAB_SPIN:?}"
sql() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
cap() { echo "${1^}"; }
hash() { echo "\$2b\$10\$$(head -c 40 /dev/urandom | base64 | tr -dc 'A-Za-z0-9./' | head -c 53)"; }
c_email="$LAB_C_NAME.dlamini$LAB_C_NUM@outlook.com"
a_email="$LAB_A_NAME.naidoo$LAB_A_NUM@impactlink.org.za"
b_email="$LAB_B_NAME.botha$LAB_B_NUM@impactlink.org.za"
login_days=$((RANDOM % 150 + 3)) login_minutes=$((RANDOM % 1440)) verified=$([ $((RANDOM % 2)) = 0 ] && echo true || echo false)
sql <<SQL
INSERT INTO users (email, password_hash, user_type, first_name, last_name, is_verified, last_login, created_at, updated_at) VALUES
 ('$c_email', '$(hash)', 'donor', '$(cap "$LAB_C_NAME")', 'Dlamini', $verified,
  now() - interval '$login_days days $login_minutes minutes', now() - interval '400 days', now() - interval '$login_days days'),
 ('$a_email', '$(hash)', 'donor', '$(cap "$LAB_A_NAME")', 'Naidoo', true,
  now() - interval '3 hours', now() - interval '1 day', now() - interval '3 hours'),
 ('$b_email', '$(hash)', 'admin', '$(cap "$LAB_B_NAME")', 'Botha', true,
  now() - interval '9 days', now() - interval '500 days', now() - interval '9 days');
SQL

# The charity list pages are cached (TTL two hours) while the name is still misspelt: two letters
# of its last word swapped. Then a colleague's data fix corrects it in the database only.
fixed=${LAB_FIXED//\'/\'\'}
# The misspelling: the first two different neighbouring letters after the first of the name's
# last word, swapped ("Keepers" becomes "Kepeers", "Centre" becomes "Cnetre").
misspell() {
    local name=$1 last i
    last=${name##* }
    for ((i = 1; i < ${#last} - 1; i++)); do
        if [ "${last:i:1}" != "${last:i+1:1}" ]; then
            echo "${name% *} ${last:0:i}${last:i+1:1}${last:i:1}${last:i+2}"
            return
        fi
    done
    echo "$name"
}
wrong=$(misspell "$LAB_FIXED")
[ "$wrong" != "$LAB_FIXED" ] || { echo "no misspelling for $LAB_FIXED" >&2; exit 2; }
read -r category < <(sql -c "UPDATE charities SET name = '${wrong//\'/\'\'}' WHERE name = '$fixed' RETURNING category")
[ -n "$category" ] || { echo "charity $LAB_FIXED not found" >&2; exit 1; }
DOMAIN=impactlink.solovedhelpinghands.org.za
get() { curl -s -o /dev/null --resolve "$DOMAIN:443:127.0.0.1" "https://$DOMAIN/api/v1/charities$1"; }
runuser -u impactlink -- env HOME=/home/impactlink redis-cli -a "$(sed -n 's/^REDIS_PASSWORD=//p' /home/impactlink/app/.env)" \
    --no-auth-warning FLUSHDB >/dev/null
for page in 1 2 3 4 5 6 7 8 9; do get "?page=$page"; done
for cat in education health environment poverty animals other; do
    get "?category=$cat"; get "?category=$cat&page=2"
done
sql -c "UPDATE charities SET name = '$fixed', updated_at = now() WHERE name = '${wrong//\'/\'\'}'"

# The API starts again once the process ids have moved on.
for _ in $(seq "$LAB_SPIN"); do /bin/true; done
systemctl restart impactlink-api
for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --resolve "$DOMAIN:443:127.0.0.1" "https://$DOMAIN/api/v1/health")" = 200 ] && exit 0
    sleep 0.2
done
echo "the API did not come back after the restart" >&2
exit 1
