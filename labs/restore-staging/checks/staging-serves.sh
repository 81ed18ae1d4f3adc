#!/bin/bash
# The API on staging is back up and serves the restored data through Nginx.
set -uo pipefail
: "${LAB_MARKER:?}"
DOMAIN=impactlink.solovedhelpinghands.org.za
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "https://$DOMAIN/api/v1/health")
if [ "$code" != 200 ]; then
    echo "FAIL: staging's API health through Nginx answers $code."
    echo "HINT: Start the API again after the restore (sudo systemctl start impactlink-api)."
    exit 1
fi
id=$(printf '%s' "$LAB_MARKER:1" | md5sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
body=$(curl -s --max-time 8 "https://$DOMAIN/api/v1/donations/$id")
if [ "$(jq -r '.payment_status // empty' <<<"$body" 2>/dev/null)" != completed ]; then
    echo "FAIL: staging's API does not serve a donation that is in the backup."
    echo "DETAIL: $body"
    exit 1
fi
