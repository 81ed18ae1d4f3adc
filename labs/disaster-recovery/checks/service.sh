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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One query: the charity at risk, its completed donations, one of its donations at random, and
# the total of the other charity that kept receiving donations.
facts=$(hpsql impactlink_prod "
    WITH verified AS (SELECT id, row_number() OVER (ORDER BY registration_number) - 1 AS n,
                             count(*) OVER () AS total
                        FROM charities WHERE verification_status = 'verified'),
    victim AS (SELECT id FROM verified WHERE n = $LAB_CHARITY % total),
    other AS (SELECT id FROM verified WHERE n = ($LAB_CHARITY + 7) % total),
    pick AS (SELECT id, amount FROM donations WHERE charity_id = (SELECT id FROM victim) ORDER BY random() LIMIT 1)
    SELECT (SELECT id FROM victim), (SELECT id FROM other),
           (SELECT count(*) FROM donations WHERE charity_id = (SELECT id FROM victim) AND payment_status = 'completed'),
           coalesce((SELECT id::text FROM pick), 'none'), coalesce((SELECT amount::text FROM pick), 'none'),
           (SELECT total_donations_received FROM charities WHERE id = (SELECT id FROM other))" 2>/dev/null)
IFS='|' read -r victim other completed row amount total <<<"$facts"

# One curl for every request (one connection through Nginx).
codes=$(hcurl -s -w '%{http_code}\n' \
    -o "$tmp/health" "$API/health" \
    -o "$tmp/charity" "$API/charities/${victim:-none}" \
    -o "$tmp/donation" "$API/donations/${row:-none}" \
    -o "$tmp/list1" "$API/charities?limit=100&page=1" \
    -o "$tmp/list2" "$API/charities?limit=100&page=2")
obs health "$(head -n 1 <<<"$codes")"
[ -n "$victim" ] || { obs api_donations 0; exit 0; }

got=$(jq -r '.stats.donations // empty' "$tmp/charity" 2>/dev/null)
obs api_donations "${got:-0}"
[ -n "$got" ] && [ "$got" = "$completed" ] && obs api_matches_db 1 || obs api_matches_db 0
echo "DETAIL: API ${got:-nothing}, database $completed"

served=$(jq -r '.amount // empty' "$tmp/donation" 2>/dev/null)
[ "$row" != none ] && [ "$served" = "$amount" ] && obs api_row_matches 1 || obs api_row_matches 0

listed=$(cat "$tmp/list1" "$tmp/list2" 2>/dev/null |
    jq -r --arg id "$other" '.data[]? | select(.id == $id) | .total_donations_received' 2>/dev/null | head -n 1)
echo "DETAIL: list shows ${listed:-nothing} for the other charity, database $total"
[ -n "$listed" ] && [ "$listed" = "$total" ] && obs list_fresh 1 || obs list_fresh 0
