#!/bin/bash
# v1.2.0 was really deployed (its migration ran, the deploy recorded a failure) and then rolled
# back to v1.1.0 with the rollback script.
set -uo pipefail
HISTORY=/home/impactlink/.deploy-history
rc=0
failed_at=$(grep -n -E '^[^ ]+ deploy v1\.2\.0 FAILED ' "$HISTORY" 2>/dev/null | tail -n 1 | cut -d: -f1)
if [ -z "$failed_at" ]; then
    echo "FAIL: ~/.deploy-history shows no failed deployment of v1.2.0."
    echo "HINT: Deploy v1.2.0 with the deploy script and read how it fails."
    exit 1
fi
if ! tail -n +"$failed_at" "$HISTORY" | grep -Eq '^[^ ]+ rollback v1\.1\.0 ok '; then
    echo "FAIL: after the failed v1.2.0 deployment there is no successful rollback to v1.1.0."
    echo "HINT: ~/scripts/rollback.sh rolls back to the last release that was healthy."
    rc=1
fi
applied=$(runuser -u postgres -- psql -X -At -d impactlink_prod -c "SELECT count(*) FROM schema_migrations WHERE version = '003'" 2>/dev/null)
if [ "$applied" != 1 ]; then
    echo "FAIL: migration 003 of v1.2.0 is not recorded: v1.2.0 was not deployed by the script."
    rc=1
fi
version=$(curl -s --max-time 5 https://impactlink.solovedhelpinghands.org.za/api/v1/health | jq -r .version 2>/dev/null)
if [ "$version" != 1.1.0 ]; then
    echo "FAIL: the API through Nginx reports version '${version:-none}', not 1.1.0."
    rc=1
fi
exit $rc
