#!/bin/bash
# Health through Nginx is 200 and really comes from the API: the version of the release checked
# out, and a donation picked at random now is served with the amount the database holds.
set -uo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
body=$(curl -s --max-time 8 -w '\n%{http_code}' "https://$DOMAIN/api/v1/health")
code=${body##*$'\n'}
body=${body%$'\n'*}
if [ "$code" != 200 ]; then
    echo "FAIL: https://$DOMAIN/api/v1/health answers HTTP $code, not 200."
    exit 1
fi
want=$(runuser -u impactlink -- jq -r .version /home/impactlink/app/package.json)
got=$(jq -r '.version // empty' <<<"$body" 2>/dev/null)
if [ "$got" != "$want" ] || [ "$(jq -r '.database // empty' <<<"$body" 2>/dev/null)" != ok ]; then
    echo "FAIL: the health answer is not the API's own (version ${got:-none}, release is $want, database must be ok)."
    exit 1
fi
read -r id amount < <(runuser -u postgres -- psql -X -At -F ' ' -d impactlink_prod \
    -c 'SELECT id, amount FROM donations ORDER BY random() LIMIT 1')
served=$(curl -s --max-time 8 "https://$DOMAIN/api/v1/donations/$id" | jq -r '.amount // empty' 2>/dev/null)
if [ -z "$served" ] || ! awk -v a="$served" -v b="$amount" 'BEGIN { exit !(a + 0 == b + 0) }'; then
    echo "FAIL: GET /api/v1/donations/<id> through Nginx does not return the donation from the database."
    echo "HINT: Nginx must pass /api/ to the running API, not answer by itself."
    echo "DETAIL: donation $id amount $amount, served '${served}'"
    exit 1
fi
echo "DETAIL: version $got; donation $id served with amount $served"
