#!/bin/bash
# Probe: impactlink_prod is a new database restored from the latest backup, and the damaged one
# is kept under another name. The original database is recognised by its OID, which the image's
# seed fixes (renaming keeps it; a restore into a new database gets a new one). The session's
# batch (in the damaged table) must be back as the backup holds it, donations written after the
# backup must not be in production, and the database kept aside must be the original, with them.
set -uo pipefail
: "${LAB_MARKER:?}"
up=0
hpsql postgres 'SELECT 1' >/dev/null 2>&1 && up=1
obs pg_up "$up"
[ "$up" = 1 ] || exit 0

# The OID impactlink_prod had when the server was built: the only user database of the seed.
original=$(hpsql postgres "SELECT max(d::bigint) FROM pg_ls_dir('/opt/srv-seed/var/lib/postgresql/15/main/base') AS d WHERE d ~ '^[0-9]+\$' AND d::bigint >= 16384")
[[ $original =~ ^[0-9]+$ ]] || { echo "no seed OID: $original" >&2; exit 2; }
prod=$(hpsql postgres "SELECT oid FROM pg_database WHERE datname = 'impactlink_prod'")
obs prod_exists "$([ -n "$prod" ] && echo 1 || echo 0)"
obs prod_is_new "$([ -n "$prod" ] && [ "$prod" != "$original" ] && echo 1 || echo 0)"

readable=1
for t in users charities projects donations saved_charities; do
    hpsql impactlink_prod "SELECT count(*) FROM public.$t" >/dev/null 2>&1 || readable=0
done
obs tables_readable "$readable"

# The batch is in one of the tables the lab damages; the check need not know which.
batch=$(hpsql impactlink_prod "SELECT count(*) || ' ' || coalesce(sum(amount), 0)::bigint FROM (
           SELECT total_donations_received AS amount FROM public.charities WHERE description = 'Onboarding batch $LAB_MARKER'
           UNION ALL SELECT target_amount FROM public.projects WHERE description = 'Onboarding batch $LAB_MARKER') b" 2>/dev/null)
obs batch_rows "${batch%% *}"
obs batch_total "${batch##* }"
obs late_in_prod "$(hpsql impactlink_prod "SELECT count(*) FROM public.donations
         WHERE stripe_payment_intent_id LIKE 'pi\\_${LAB_MARKER}\\_late\\_%'" 2>/dev/null || echo error)"

# The damaged database, kept: the original (by OID) under another name, still holding what only it has.
kept=$(hpsql postgres "SELECT datname FROM pg_database WHERE oid = $original AND datname <> 'impactlink_prod'")
obs damaged_kept "$([ -n "$kept" ] && echo 1 || echo 0)"
open=$(hpsql postgres "SELECT count(*) FROM pg_database WHERE oid = $original AND datname <> 'impactlink_prod' AND datallowconn")
obs damaged_open "$open"
late=0
if [ "$open" = 1 ]; then
    late=$(hpsql "$kept" "SELECT count(*) FROM public.donations
         WHERE stripe_payment_intent_id LIKE 'pi\\_${LAB_MARKER}\\_late\\_%'" 2>/dev/null || echo 0)
fi
obs damaged_late "$late"
exit 0
