#!/bin/bash
# recover (the service half), observed from the probe through the server's Nginx.
# - health: the API's health answer through Nginx.
# - api_donations / api_matches_db: the live API reports the charity's completed donations, and
#   as many as the database holds (the API reads the recovered cluster, not something else).
# - api_row_matches: a donation of the charity picked at random now is served with the amount
#   the database holds (no static stand-in can know which one will be asked for).
# - list_fresh: the cached public charity list shows another charity's total as the recovered
#   database has it (the lists cached before the recovery hold totals from after the target).
: "${LAB_CHARITY:?}"
[[ $LAB_CHARITY =~ ^[0-9]+$ ]] || exit 3
API=https://$ACADEMY_DOMAIN/api/v1

health=$(hcurl -s -o /dev/null -w '%{http_code}' "$API/health")
obs health "${health:-000}"

ids=$(hpsql impactlink_prod "
    WITH verified AS (SELECT id, row_number() OVER (ORDER BY registration_number) - 1 AS n,
                             count(*) OVER () AS total
                        FROM charities WHERE verification_status = 'verified')
    SELECT (SELECT id FROM verified WHERE n = $LAB_CHARITY % total),
           (SELECT id FROM verified WHERE n = ($LAB_CHARITY + 7) % total)" 2>/dev/null)
IFS='|' read -r victim other <<<"$ids"
[ -n "$victim" ] || { obs api_donations 0; exit 0; }

completed=$(hpsql impactlink_prod "SELECT count(*) FROM donations WHERE charity_id = '$victim' AND payment_status = 'completed'")
got=$(hcurl -s "$API/charities/$victim" | jq -r '.stats.donations // empty' 2>/dev/null)
obs api_donations "${got:-0}"
[ -n "$got" ] && [ "$got" = "$completed" ] && obs api_matches_db 1 || obs api_matches_db 0
echo "DETAIL: API ${got:-nothing}, database $completed"

read -r row amount < <(hpsql impactlink_prod "SELECT id, amount FROM donations WHERE charity_id = '$victim'
                                             ORDER BY random() LIMIT 1" | tr '|' ' ')
served=$(hcurl -s "$API/donations/${row:-none}" | jq -r '.amount // empty' 2>/dev/null)
[ -n "$row" ] && [ "$served" = "$amount" ] && obs api_row_matches 1 || obs api_row_matches 0

total=$(hpsql impactlink_prod "SELECT total_donations_received FROM charities WHERE id = '$other'")
listed=""
for page in 1 2; do
    listed=$(hcurl -s "$API/charities?limit=100&page=$page" |
        jq -r --arg id "$other" '.data[]? | select(.id == $id) | .total_donations_received' 2>/dev/null)
    [ -n "$listed" ] && break
done
echo "DETAIL: list shows ${listed:-nothing} for the other charity, database $total"
[ -n "$listed" ] && [ "$listed" = "$total" ] && obs list_fresh 1 || obs list_fresh 0
