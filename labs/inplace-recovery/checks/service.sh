#!/bin/bash
# Probe: health through Nginx is 200 with the database ok, and comes from the API process on the
# host (its uptime matches a node process in the process table the Docker engine took), which
# was started after impactlink_prod was created; the API serves a row of the session's batch and
# a charity written into the database just now, as the database holds them.
set -uo pipefail
: "${LAB_MARKER:?}"
URL=https://$ACADEMY_DOMAIN
nonce() { head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

out=$(hcurl -s --max-time 5 -w '\n%{http_code}' "$URL/api/v1/health")
code=${out##*$'\n'}
body=${out%$'\n'*}
obs health_code "${code:-000}"
obs health_database "$(jq -r '.database // "none"' <<<"$body" 2>/dev/null || echo none)"

# The answering process: its own uptime must match a node process's age, and its clock be now.
uptime=$(jq -r '.uptime // empty' <<<"$body" 2>/dev/null)
api_age=""
if [[ $uptime =~ ^[0-9.]+$ ]]; then
    api_age=$(awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) { print $5; exit } }' "$ACADEMY_RUN/ps")
fi
obs api_is_running_process "$([ -n "$api_age" ] && echo 1 || echo 0)"

# Started after the database it serves was created (the restore), not before it: the inode
# change time of the database's PG_VERSION, which no one can set back (touch moves it to now).
created=$(hpsql postgres "SELECT extract(epoch FROM (pg_stat_file('base/' || oid || '/PG_VERSION')).change)::bigint
          FROM pg_database WHERE datname = 'impactlink_prod'" 2>/dev/null)
after=0
if [[ $created =~ ^[0-9]+$ && $api_age =~ ^[0-9]+$ ]]; then
    [ $(( $(date +%s) - api_age )) -ge $((created - 2)) ] && after=1
fi
obs api_started_after_restore "$after"

# A row of the batch, through the API, as the database holds it.
batch=0
row=$(hpsql impactlink_prod "SELECT kind || '|' || id || '|' || label FROM (
        SELECT 'charities' AS kind, id, name AS label FROM public.charities WHERE description = 'Onboarding batch $LAB_MARKER'
        UNION ALL SELECT 'projects', id, title FROM public.projects WHERE description = 'Onboarding batch $LAB_MARKER') b
      ORDER BY label LIMIT 1" 2>/dev/null)
if [ -n "$row" ]; then
    IFS='|' read -r kind id label <<<"$row"
    field=name
    [ "$kind" = projects ] && field=title
    got=$(hcurl -s --max-time 5 "$URL/api/v1/$kind/$id" | jq -r ".data.$field // .$field // empty" 2>/dev/null)
    [ "$got" = "$label" ] && batch=1
fi
obs api_serves_batch "$batch"

# A charity written now must come back through Nginx from the database.
live=0
name="Probe $(nonce)"
id=$(hpsql impactlink_prod "INSERT INTO public.charities (name, category, registration_number, verification_status, province)
      VALUES ('$name', 'other', 'PRB-$(nonce)', 'verified', 'probe') RETURNING id" 2>/dev/null)
if [ -n "$id" ]; then
    got=$(hcurl -s --max-time 5 "$URL/api/v1/charities/$id" | jq -r '.data.name // .name // empty' 2>/dev/null)
    [ "$got" = "$name" ] && live=1
    hpsql impactlink_prod "DELETE FROM public.charities WHERE id = '$id'" >/dev/null 2>&1
fi
obs api_reads_database "$live"
exit 0
