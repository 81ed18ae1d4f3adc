#!/bin/bash
# The API is back through Nginx and serves the recovered charity with its donations.
set -uo pipefail
source /root/.dr-lab || exit 3
DOMAIN=impactlink.solovedhelpinghands.org.za
body=$(curl -s --max-time 8 "https://$DOMAIN/api/v1/charities/$VICTIM")
got=$(jq -r '.stats.donations // empty' <<<"$body" 2>/dev/null)
health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "https://$DOMAIN/api/v1/health")
if [ "$health" != 200 ]; then
    echo "FAIL: the API's health through Nginx answers $health."
    exit 1
fi
completed=$(runuser -u postgres -- psql -X -At -d impactlink_prod -c \
    "SELECT count(*) FROM donations WHERE charity_id = '$VICTIM' AND payment_status = 'completed'" 2>/dev/null)
if [ -z "$got" ] || [ "$got" = 0 ] || [ "$got" != "$completed" ]; then
    echo "FAIL: the API does not show the charity's donations yet."
    echo "DETAIL: API says ${got:-nothing}, database has ${completed:-?}"
    exit 1
fi
