#!/bin/bash
# Probe: Nginx caches the public project list, and nothing private. Two requests for the project
# list with a fresh query string: the API must see exactly one of them, the second must say
# X-Cache-Status: HIT, carry the server's security headers, and both must hold what the database
# holds. The health endpoint and a donor's donation history, each asked twice, must reach the API
# both times.
set -uo pipefail
URL=https://$ACADEMY_DOMAIN
API_LOG=/var/log/impactlink/access.log
tmp=$(mktemp -d)
nonce() { head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
seen() { grep -c "\"path\":\"$1\"" "$API_LOG" 2>/dev/null; }

n=$(nonce)
hcurl -s -D "$tmp/h1" -o "$tmp/b1" "$URL/api/v1/projects?c=$n"
hcurl -s -D "$tmp/h2" -o "$tmp/b2" "$URL/api/v1/projects?c=$n"
u=$(hpsql impactlink_prod "SELECT donor_id FROM public.donations WHERE donor_id IS NOT NULL LIMIT 1")
h=$(nonce) d=$(nonce)
for _ in 1 2; do
    hcurl -s -o /dev/null "$URL/api/v1/health?c=$h"
    hcurl -s -o /dev/null "$URL/api/v1/users/$u/donations?c=$d"
done
sleep 0.4

obs projects_hit "$(grep -qi '^x-cache-status: *HIT' "$tmp/h2" && echo 1 || echo 0)"
obs projects_once "$([ "$(seen "/api/v1/projects?c=$n")" = 1 ] && echo 1 || echo 0)"
total=$(hpsql impactlink_prod "SELECT count(*) FROM public.projects")
newest=$(hpsql impactlink_prod "SELECT id FROM public.projects ORDER BY created_at DESC LIMIT 1")
real=1
for body in "$tmp/b1" "$tmp/b2"; do
    [ "$(jq -r '"\(.pagination.total) \(.data[0].id)"' "$body" 2>/dev/null)" = "$total $newest" ] || real=0
done
obs projects_real "$real"
obs projects_headers "$(grep -qi '^strict-transport-security:' "$tmp/h2" && grep -qi '^x-content-type-options:' "$tmp/h2" && echo 1 || echo 0)"
obs health_uncached "$([ "$(seen "/api/v1/health?c=$h")" = 2 ] && echo 1 || echo 0)"
obs private_uncached "$([ "$(seen "/api/v1/users/$u/donations?c=$d")" = 2 ] && echo 1 || echo 0)"
rm -rf "$tmp"
exit 0
