#!/bin/bash
# take-backup, observed from the probe. Among the backup sets, the newest ones whose dump was
# written after the freshness donation arrived are examined (a dump's own header says when).
# Observations: is there such a set; which pi_drill_ donation its dump holds (the platform
# compares it with this session's); the database it is a dump of; whether it holds every row
# production had when it was taken; whether its MANIFEST describes this very dump (row counts,
# file sizes), as backup.sh writes it; and whether its SHA256SUMS matches its files.
ROOT=/var/backups/impactlink
CACHE=/tmp/backup-verify-dumps
mkdir -p "$CACHE"

# One line per dump version (cached: a file that changes gets a new key, its ctime moves):
# dbname epoch readable users charities projects donations drill_marker digest
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

fresh_at=$(hpsql impactlink_prod "SELECT coalesce(max(extract(epoch FROM created_at))::bigint, 0)
                                    FROM donations WHERE stripe_payment_intent_id LIKE 'pi\_drill\_%'")
fresh_at=${fresh_at:-0}

# Candidates: every set with a dump, newest first by the time in the dump's own header.
mapfile -t candidates < <(find "$ROOT/" -mindepth 2 -maxdepth 3 -type f -name impactlink_prod.dump -print0 2>/dev/null |
    xargs -0 -r perl -MPOSIX=mktime -e '
        # A custom-format header: "PGDMP", format bytes, then sign byte + 4-byte int per field.
        for my $f (@ARGV) {
            open(my $h, "<:raw", $f) or next;
            read($h, my $b, 64) == 64 or next;
            substr($b, 0, 5) eq "PGDMP" or next;
            my @t = map { unpack("V", substr($b, 17 + 5 * $_, 4)) } 0 .. 5;
            printf "%d %s\n", mktime(@t, 0, 0, -1), $f;
        }' | awk -v from=$((fresh_at - 2)) '$1 >= from' | sort -rn | head -n 3 | cut -d' ' -f2-)
obs backup_found "${#candidates[@]}"
[ "${#candidates[@]}" -gt 0 ] || exit 0

chosen="" summary=""
for dump in "${candidates[@]}"; do
    s=$(analyse "$dump") || continue
    [ -z "$chosen" ] && { chosen=$dump; summary=$s; }
    if [ "$(cut -d' ' -f8 <<<"$s")" != none ]; then chosen=$dump; summary=$s; break; fi
done
read -r dbname at readable users charities projects donations drill _digest <<<"$summary"
dir=$(dirname "$chosen")
echo "DETAIL: examined $dir ($summary)"
obs marker "$drill"
obs dbname "$dbname"
obs readable "$readable"

# Complete: the tables that do not change hold what production holds, and the dump has every
# donation production had at the moment the dump says it was taken.
live=$(hpsql impactlink_prod "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM charities) || ' ' ||
         (SELECT count(*) FROM projects) || ' ' ||
         (SELECT count(*) FROM donations WHERE created_at <= to_timestamp(${at:-0} + 1))")
echo "DETAIL: production then: $live"
[ "$live" = "$users $charities $projects $donations" ] && obs complete 1 || obs complete 0

# The MANIFEST backup.sh writes for this dump: its row counts and the dump's size in bytes.
manifest=$dir/MANIFEST
counts=$(sed -n 's/^row_counts: //p' "$manifest" 2>/dev/null | head -n 1)
listed=$(awk '$1 == "impactlink_prod.dump" && $3 == "bytes" { print $2 }' "$manifest" 2>/dev/null | head -n 1)
if [ "$counts" = "users=$users charities=$charities projects=$projects donations=$donations" ] &&
    [ "$listed" = "$(stat -L -c %s "$chosen")" ]; then
    obs manifest_matches 1
else
    obs manifest_matches 0
fi

# SHA256SUMS lists the dump and the MANIFEST, and every listed file matches.
sums=$dir/SHA256SUMS
if grep -Eq '^[0-9a-f]{64} [ *]impactlink_prod\.dump$' "$sums" 2>/dev/null &&
    grep -Eq '^[0-9a-f]{64} [ *]MANIFEST$' "$sums" 2>/dev/null &&
    (cd "$dir" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    obs sums_ok 1
else
    obs sums_ok 0
fi
