#!/bin/bash
# forgery: Delete only the cached lists of the corrected charity's category, leaving the full list's pages stale
# class: shallow
# targets: stale-cache
[ "$1" = before ] || exit 0
category=$(psql -X -At -d impactlink_prod -c "SELECT category FROM charities ORDER BY updated_at DESC LIMIT 1")
redis-cli --scan --pattern "charities:list:$category:*" | xargs -r redis-cli DEL
