#!/bin/bash
# restore, observed from staging's probe: staging's impactlink_prod holds exactly last night's
# backup as published on prod's share (fetched here by the probe; a digest of every table's rows
# as sorted COPY text on both sides), reloaded rather than patched.
# Observations: marker_rows (this session's donations from before the backup, the platform knows
# how many), late_rows (donations from after it), changed_rows (marker donations refunded after
# it), same_as_backup, and seed_rows_left: donations still physically the rows staging was built
# with (xmin older than the pristine cluster's next transaction id). A restore reloads every row;
# inserting the few differing rows by hand leaves the old ones in place.
: "${LAB_SHARE_PW:?}"
SHARE=http://prod:8080/backups
CACHE=/tmp/restore-staging
mkdir -p "$CACHE"
share() { /usr/bin/curl -q -s --noproxy '*' --max-time 20 -u "restore:$LAB_SHARE_PW" "$@"; }
ssql() {
    /usr/sbin/runuser -u postgres -- /usr/bin/psql -X -q -A -t -F ' ' -h "$ACADEMY_PG_SOCKET" \
        -d impactlink_prod "$@" 2>/dev/null
}
seed_next=$(/usr/lib/postgresql/15/bin/pg_controldata /opt/srv-seed/var/lib/postgresql/15/main 2>/dev/null |
    sed -n "s/^Latest checkpoint's NextXID: *[0-9]*://p")
[ -n "$seed_next" ] || exit 3

read -r markers late changed seed_left < <(ssql -c "
    SELECT count(*) FILTER (WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]{10}_[0-9]+\$'),
           count(*) FILTER (WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]{10}_late_[0-9]+\$'),
           count(*) FILTER (WHERE stripe_payment_intent_id ~ '^pi_[a-z0-9]{10}_[0-9]+\$' AND payment_status <> 'completed'),
           count(*) FILTER (WHERE xmin::text::bigint < $seed_next)
      FROM donations")
if [ -z "$markers" ]; then
    obs db_readable 0
    exit 0
fi
obs db_readable 1
obs marker_rows "$markers"
obs late_rows "$late"
obs changed_rows "$changed"
obs seed_rows_left "$seed_left"

# The published dump, summarised once per published version (its checksum names it).
dir=$(share "$SHARE/" | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
want=$(share "$SHARE/${dir}SHA256SUMS" | awk '$2 ~ /^\*?impactlink_prod\.dump$/ { print $1 }')
[[ $want =~ ^[0-9a-f]{64}$ ]] || { echo "DETAIL: the backup share on prod did not answer"; exit 3; }
summary=$CACHE/$want
if [ ! -s "$summary" ]; then
    dump=$CACHE/dump.$$
    share -o "$dump" "$SHARE/${dir}impactlink_prod.dump"
    [ "$(sha256sum <"$dump" | cut -d' ' -f1)" = "$want" ] || { rm -f "$dump"; exit 3; }
    {
        pg_restore -l "$dump" | awk '$4 == "TABLE" && $5 == "DATA" && $6 == "public" { printf "%s ", $7 }'
        echo
        pg_restore -a -f - "$dump" | awk '/^COPY public\./ { split($2, n, "."); t = n[2]; on = 1; next }
            /^\\\.$/ { on = 0; next } on { print t "\t" $0 }' | LC_ALL=C sort | md5sum | cut -d' ' -f1
    } >"$summary.tmp" && mv "$summary.tmp" "$summary"
    rm -f "$dump"
fi
tables=$(sed -n 1p "$summary")
expected=$(sed -n 2p "$summary")
copies=()
for t in $tables; do copies+=(-c "COPY (SELECT '$t', x.* FROM public.$t x) TO STDOUT"); done
actual=$(ssql "${copies[@]}" | LC_ALL=C sort | md5sum | cut -d' ' -f1)
echo "DETAIL: tables $tables; backup $expected, staging $actual"
[ "$actual" = "$expected" ] && obs same_as_backup 1 || obs same_as_backup 0
