#!/bin/bash
# staging's database holds exactly production's data at backup time: the session's marker
# donations as they were (not refunded), none of the later ones, and every table's rows equal to
# those in the published dump (compared as sorted COPY text).
set -uo pipefail
: "${LAB_MARKER:?}" "${LAB_ROWS:?}" "${LAB_SHARE_PW:?}"
SHARE=http://prod:8080/backups
q() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@" 2>/dev/null; }
# Tables are compared as sorted COPY text: the same rows give the same text on both sides.

# The marker is letters and digits only, so it can stand in the SQL text as it is.
[[ $LAB_MARKER =~ ^[a-z0-9]+$ ]] || exit 3
p="pi_${LAB_MARKER}_" l="pi_${LAB_MARKER}_late_"
read -r markers late changed < <(q -F ' ' -c "
    SELECT count(*) FILTER (WHERE starts_with(stripe_payment_intent_id, '$p') AND NOT starts_with(stripe_payment_intent_id, '$l')),
           count(*) FILTER (WHERE starts_with(stripe_payment_intent_id, '$l')),
           count(*) FILTER (WHERE starts_with(stripe_payment_intent_id, '$p') AND payment_status <> 'completed')
      FROM donations")
if [ -z "${markers:-}" ]; then
    echo "FAIL: staging's impactlink_prod database cannot be read (is PostgreSQL up, is the donations table there?)."
    exit 1
fi
if [ "$late" != 0 ] || [ "$changed" != 0 ]; then
    echo "FAIL: staging holds production's data from AFTER the backup (later donations or refunds are there)."
    echo "HINT: Restore the backup from the share, not a fresh dump of production."
    exit 1
fi
if [ "$markers" != "$LAB_ROWS" ]; then
    echo "FAIL: staging does not hold the backup's data yet: donations that are in the backup are missing."
    echo "DETAIL: marker donations $markers of $LAB_ROWS"
    exit 1
fi

dir=$(curl -s --max-time 5 -u "restore:$LAB_SHARE_PW" "$SHARE/" | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
if [ -z "$dir" ] || ! curl -sf --max-time 20 -u "restore:$LAB_SHARE_PW" -o "$dump" "$SHARE/${dir}impactlink_prod.dump"; then
    echo "DETAIL: the backup share on prod did not answer"
    exit 3
fi
tables=$(pg_restore -l "$dump" | awk '$4 == "TABLE" && $5 == "DATA" && $6 == "public" {print $7}')
expected=$(pg_restore -a -f - "$dump" | awk '/^COPY public\./ {split($2, n, "."); t = n[2]; on = 1; next}
    /^\\\.$/ {on = 0} on {print t "\t" $0}' | LC_ALL=C sort | md5sum | cut -d' ' -f1)
copies=()
for t in $tables; do copies+=(-c "COPY (SELECT '$t', x.* FROM public.$t x) TO STDOUT"); done
actual=$(q "${copies[@]}" | LC_ALL=C sort | md5sum | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
    differ=""
    for t in $tables; do
        a=$(pg_restore -a -t "$t" -f - "$dump" | awk '/^COPY /{on = 1; next} /^\\\.$/{on = 0} on' | LC_ALL=C sort | md5sum)
        b=$(q -c "COPY public.$t TO STDOUT" | LC_ALL=C sort | md5sum)
        [ "$a" = "$b" ] || differ="$differ $t"
    done
    echo "FAIL: staging's rows differ from the backup's in:${differ:- (unknown)}."
    echo "HINT: A restore with --clean replaces every table; check pg_restore's errors."
    exit 1
fi
echo "DETAIL: $(wc -w <<<"$tables") tables identical to $dir"
