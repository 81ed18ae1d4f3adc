#!/bin/bash
# test-restore, observed from the probe. impactlink_verify must be a restore of LAST NIGHT'S
# backup file: every row of every table equal to that dump's (compared as sorted COPY text).
# Last night's backup is the newest dump, by the time in its own header, that does not hold
# the freshness donation (which arrived after every nightly). Observations for the platform:
# the database exists; production still has today's donations; the disputed donation (deleted from production this morning, so only a
# backup still has it) and its amount; how many donations from after the nightlies it holds;
# and whether it equals last night's dump row for row.
: "${LAB_REF:?}"
[[ $LAB_REF =~ ^[a-z0-9]+$ ]] || exit 3
ROOT=/var/backups/impactlink
CACHE=/tmp/backup-verify-dumps
mkdir -p "$CACHE"
TABLES="charities donations projects saved_charities schema_migrations users"

# Same summary as the take-backup check (shared cache): dbname epoch readable users charities
# projects donations drill_marker digest.
analyse() {
    local f=$1 key out list created rows
    key=$(stat -L -c '%d-%i-%s-%Y-%Z' "$f" 2>/dev/null) || return 1
    out=$CACHE/$key
    if [ ! -s "$out" ]; then
        if ! list=$(pg_restore -l "$f" 2>/dev/null); then
            echo "none 0 0 0 0 0 0 none none" >"$out"
        else
            created=$(sed -n 's/^; Archive created at //p' <<<"$list" | head -n 1)
            rows=$CACHE/rows.$$
            pg_restore -a -f - "$f" 2>/dev/null | awk '
                /^COPY public\./ { split($2, n, "."); t = n[2]; on = 1; next }
                /^\\\.$/ { on = 0; next }
                on { print t "\t" $0 }' >"$rows"
            readable=$([ "${PIPESTATUS[0]}" = 0 ] && echo 1 || echo 0)
            {
                printf '%s %s %s ' "$(sed -n 's/^;[[:space:]]*dbname: //p' <<<"$list" | head -n 1)" \
                    "$(date -d "$created" +%s 2>/dev/null || echo 0)" "$readable"
                awk -F'\t' '{ n[$1]++ } END { printf "%d %d %d %d ", n["users"], n["charities"], n["projects"], n["donations"] }' "$rows"
                m=$(awk -F'\t' '$1 == "donations"' "$rows" | grep -o -m 1 'pi_drill_[a-z0-9]*')
                printf '%s %s\n' "${m:-none}" "$(LC_ALL=C sort "$rows" | md5sum | cut -d' ' -f1)"
            } >"$out"
            rm -f "$rows"
        fi
    fi
    cat "$out"
}
vsql() {
    /usr/sbin/runuser -u postgres -- /usr/bin/psql -X -q -A -t -F '|' -h "$ACADEMY_PG_SOCKET" \
        -d impactlink_verify "$@" 2>/dev/null
}

# While this check repeats, warm the cache of the verify-backups answer (checks/damaged-file.sh):
# read one more backup file through per run, so that answer comes quickly. Keep readable()
# identical to the one there.
readable() {
    local f=$1 key ok=1
    key=$(stat -c '%d-%i-%s-%Y-%Z' "$f" 2>/dev/null) || return 1
    if [ ! -s "$CACHE/$key" ]; then
        case $f in
            *.dump) pg_restore -f /dev/null "$f" >/dev/null 2>&1 || ok=0 ;;
            *.gz) gzip -t "$f" >/dev/null 2>&1 || ok=0 ;;
        esac
        echo "$ok $(sha256sum <"$f" | cut -d' ' -f1)" >"$CACHE/$key"
    fi
    cat "$CACHE/$key"
}
warm_one() {
    local CACHE=/tmp/backup-verify-read f key
    mkdir -p "$CACHE"
    while IFS= read -r -d '' f; do
        key=$(stat -c '%d-%i-%s-%Y-%Z' "$f" 2>/dev/null) || continue
        [ -s "$CACHE/$key" ] && continue
        readable "$f" >/dev/null
        return 0
    done < <(find "$ROOT/" -mindepth 2 -maxdepth 3 -type f \( -name impactlink_prod.dump -o -name '*.gz' \) -print0 2>/dev/null)
}
warm_one

exists=$(hpsql postgres "SELECT count(*) FROM pg_database WHERE datname = 'impactlink_verify'")
obs verify_db "${exists:-0}"
# Production itself must still hold this morning's donations: a test restore never goes there.
obs prod_today "$(hpsql impactlink_prod "SELECT count(*) FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_drill\_%'")"
[ "$exists" = 1 ] || exit 0

read -r ref_amount drill < <(vsql -F ' ' -c "SELECT coalesce((SELECT amount::text FROM donations
        WHERE stripe_payment_intent_id = 'pi_$LAB_REF' LIMIT 1), 'none'),
        (SELECT count(*) FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_drill\_%')")
obs ref_amount "${ref_amount:-none}"
obs drill_rows "${drill:-none}"

# Last night's dump: newest first by header time, the first without the freshness donation.
last=""
while read -r _at dump; do
    s=$(analyse "$dump") || continue
    if [ "$(cut -d' ' -f3 <<<"$s")" = 1 ] && [ "$(cut -d' ' -f8 <<<"$s")" = none ]; then
        last=$dump summary=$s
        break
    fi
done < <(find "$ROOT/" -mindepth 2 -maxdepth 3 -type f -name impactlink_prod.dump -print0 2>/dev/null |
    xargs -0 -r perl -MPOSIX=mktime -e '
        for my $f (@ARGV) {
            open(my $h, "<:raw", $f) or next;
            read($h, my $b, 64) == 64 or next;
            substr($b, 0, 5) eq "PGDMP" or next;
            my @t = map { unpack("V", substr($b, 17 + 5 * $_, 4)) } 0 .. 5;
            printf "%d %s\n", mktime(@t, 0, 0, -1), $f;
        }' | sort -rn)
if [ -z "$last" ]; then
    obs same_as_last_night 0
    echo "DETAIL: no readable nightly dump found"
    exit 0
fi
read -r _db _at _ok users charities projects donations _drill digest <<<"$summary"
echo "DETAIL: last night's backup: $last"

# Row counts first (cheap); the full comparison only when they agree.
counts=$(vsql -F ' ' -c "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM charities),
                               (SELECT count(*) FROM projects), (SELECT count(*) FROM donations)")
echo "DETAIL: impactlink_verify has ${counts:-no tables}; the backup has $users $charities $projects $donations"
if [ "$counts" != "$users $charities $projects $donations" ]; then
    obs same_as_last_night 0
    exit 0
fi
copies=()
for t in $TABLES; do copies+=(-c "COPY (SELECT '$t', x.* FROM public.$t x) TO STDOUT"); done
actual=$(vsql "${copies[@]}" | LC_ALL=C sort | md5sum | cut -d' ' -f1)
[ "$actual" = "$digest" ] && obs same_as_last_night 1 || obs same_as_last_night 0
