#!/bin/bash
# restore (the service half), observed from staging's probe through staging's Nginx.
# Observations: health; a donation picked at random now from staging's database is served with
# the amount and status the database holds (only the live API reading the restored database
# can answer whichever is asked); the session's first marker donation is served as the backup
# has it (completed, refunded only later in production); and the cached public charity list
# shows the marker charity's total as the restored database has it (staging's lists were cached
# before the restore).
API=https://$ACADEMY_DOMAIN/api/v1

health=$(hcurl -s -o /dev/null -w '%{http_code}' "$API/health")
obs health "${health:-000}"

read -r row amount status < <(hpsql impactlink_prod "SELECT id, amount, payment_status FROM donations
                                                     ORDER BY random() LIMIT 1" | tr '|' ' ')
body=$(hcurl -s "$API/donations/${row:-none}")
served=$(jq -r '"\(.amount) \(.payment_status)"' <<<"$body" 2>/dev/null)
[ -n "$row" ] && [ "$served" = "$amount $status" ] && obs api_row_matches 1 || obs api_row_matches 0

read -r first charity < <(hpsql impactlink_prod "SELECT id, charity_id FROM donations
                                                  WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]{10}_1\$' LIMIT 1" | tr '|' ' ')
status=$(hcurl -s "$API/donations/${first:-none}" | jq -r '.payment_status // empty' 2>/dev/null)
obs marker_status "${status:-none}"

total=$(hpsql impactlink_prod "SELECT total_donations_received FROM charities WHERE id = '${charity:-00000000-0000-0000-0000-000000000000}'")
listed=""
for page in 1 2; do
    listed=$(hcurl -s "$API/charities?limit=100&page=$page" |
        jq -r --arg id "${charity:-none}" '.data[]? | select(.id == $id) | .total_donations_received' 2>/dev/null)
    [ -n "$listed" ] && break
done
echo "DETAIL: the list shows ${listed:-nothing} for the marker charity, the database ${total:-nothing}"
[ -n "$listed" ] && [ "$listed" = "$total" ] && obs list_fresh 1 || obs list_fresh 0
