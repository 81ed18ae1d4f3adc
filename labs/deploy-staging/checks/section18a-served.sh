#!/bin/bash
# Probe: the running API serves the Section 18A filter from the database: a category drawn now,
# the charities the API lists for ?section18a=true are exactly the approved ones in PostgreSQL.
set -uo pipefail
categories=(education health environment poverty animals other)
category=${categories[RANDOM % 6]}
body=$(hcurl -s --max-time 5 "https://impactlink.solovedhelpinghands.org.za/api/v1/charities?section18a=true&category=$category&limit=100")
served=$(jq -r '.data[]?.id' <<<"$body" 2>/dev/null | sort)
flags=$(jq -r '[.data[]?.section18a_approved] | map(tostring) | unique | join(",")' <<<"$body" 2>/dev/null)
want=$(hpsql impactlink_prod "SELECT id FROM public.charities WHERE verification_status = 'verified'
    AND category = '$category' AND section18a_approved ORDER BY name LIMIT 100" 2>/dev/null | sort)
match=0
[ -n "$want" ] && [ "$served" = "$want" ] && match=1
obs served_matches_database "$match"
obs served_flags "${flags:-none}"
exit 0
