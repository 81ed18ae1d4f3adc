#!/bin/bash
# backup-verify setup (root). Production gets a past: nine nightly full backups, one a night,
# three manual database backups taken during those days, and donations arriving all along. The
# dump of one of those sets (any but last night's; which one is this session's draw) is then
# damaged on disk. After last night's backup the day goes on: new donations, a refund, and the
# disputed donation pi_<ref> is deleted. The session's freshness donation pi_drill_<marker>
# arrives last. Nothing here is kept for the checks: they read the backup files and the
# databases themselves.
set -euo pipefail
: "${LAB_MARKER:?}" "${LAB_REF:?}" "${LAB_AMOUNT:?}" "${LAB_DAMAGED:?}"
[[ $LAB_MARKER =~ ^[a-z0-9]+$ && $LAB_REF =~ ^[a-z0-9]+$ && $LAB_AMOUNT =~ ^[0-9]+$ ]]
ROOT=/var/backups/impactlink
LOG=/var/log/impactlink/backup.log
NIGHTS=9
MANUAL=(manual before-charity-merge manual)
DB_URL=$(sed -n 's/^DATABASE_URL=//p' /home/impactlink/app/.env)
pg() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d impactlink_prod "$@"; }
as_ops() { runuser -u impactlink -- "$@"; }

runuser -u postgres -- dropdb --if-exists --force impactlink_verify
rm -rf "$ROOT"/2* "$ROOT/latest" "$ROOT/latest-database"
install -d -o impactlink -g impactlink -m 750 "$ROOT"
install -o impactlink -g impactlink -m 644 /dev/null "$LOG"

# Donations that arrive between two moments (epoch seconds), as the API would store them.
donations() { # from to count
    pg -v from="$1" -v to="$2" -v n="$3" <<'SQL'
INSERT INTO donations (donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, is_anonymous,
                       created_at, updated_at)
SELECT d.id, c.id, a.amount, 'ZAR', round(a.amount * 0.029 + 2, 2), a.amount - round(a.amount * 0.029 + 2, 2),
       'credit_card', 'completed', 'pi_sim_' || substr(md5(random()::text), 1, 24), false, t.at, t.at
  FROM generate_series(1, :n) AS i
 CROSS JOIN LATERAL (SELECT to_timestamp(:from + random() * (:to - :from)) AS at, i AS ii) t
 CROSS JOIN LATERAL (SELECT id FROM users WHERE user_type = 'donor' ORDER BY random() + t.ii * 0 LIMIT 1) d
 CROSS JOIN LATERAL (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY random() + t.ii * 0 LIMIT 1) c
 CROSS JOIN LATERAL (SELECT (ARRAY[50,100,150,200,250,300,500,750,1000])[1 + floor(random() * 9)::int + t.ii * 0]::numeric(12,2) AS amount) a;
SQL
}

# Rewrite the creation time in a custom-format dump's header, as if pg_dump had run at that time.
# Header: "PGDMP", 6 bytes of format, then (sign byte + 4-byte little-endian int) for the
# compression and for tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year.
stamp_dump() { # file epoch
    local fields
    fields=$(date -d "@$2" '+%S %M %H %d %m %Y')
    perl -e '
        my ($file, $s, $mi, $h, $d, $mo, $y) = @ARGV;
        open(my $fh, "+<:raw", $file) or die "$file: $!";
        my @v = ($s + 0, $mi + 0, $h + 0, $d + 0, $mo - 1, $y - 1900);
        for my $i (0 .. 5) { seek($fh, 16 + 5 * $i, 0); print $fh pack("C V", 0, $v[$i]); }
        close($fh) or die;' "$1" $fields
}

# One backup set, laid out as backup.sh writes it, dated at the given moment.
backup_set() { # epoch mode [label]
    local at=$1 mode=$2 label=${3:-} id dir size counts migrations db_size
    id="$(date -d "@$at" +%Y%m%d-%H%M%S)-$mode${label:+-$label}"
    dir=$ROOT/$id
    as_ops mkdir -m 755 "$dir"
    as_ops pg_dump --format=custom --compress=6 --dbname="$DB_URL" --file="$dir/impactlink_prod.dump"
    stamp_dump "$dir/impactlink_prod.dump" "$at"
    if [ "$mode" = full ]; then
        crontab -l -u impactlink >"$dir/crontab.txt" 2>/dev/null || true
        as_ops tar -C /home/impactlink --exclude=app/.env --exclude=node_modules -czf "$dir/app-files.tar.gz" app scripts
    fi
    (cd "$dir" && sha256sum -- * >SHA256SUMS)
    IFS='|' read -r counts migrations db_size < <(pg -c "SELECT (SELECT string_agg(t || '=' || n, ' ') FROM (
        SELECT 'users' t, count(*) n FROM users UNION ALL SELECT 'charities', count(*) FROM charities
        UNION ALL SELECT 'projects', count(*) FROM projects UNION ALL SELECT 'donations', count(*) FROM donations) s),
        (SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations),
        pg_size_pretty(pg_database_size('impactlink_prod'))")
    {
        echo "backup_id: $id"
        echo "mode: $mode"
        echo "label: ${label:-none}"
        echo "created_at: $(date -d "@$((at + 1))" -Is)"
        echo "host: $(hostname)"
        echo "release: $release"
        echo "database: impactlink_prod"
        echo "database_size: $db_size"
        echo "schema_migrations: $migrations"
        echo "row_counts: $counts"
        echo "pg_dump: $(pg_dump --version)"
        echo "dump_format: pg_dump custom (-Fc, compress 6); restore with pg_restore"
        echo "excluded: app/.env (secrets), node_modules"
        echo "duration_seconds: 1"
        echo "files:"
        (cd "$dir" && for f in *; do
            case $f in SHA256SUMS | MANIFEST*) ;; *) printf '  %-22s %10s bytes\n' "$f" "$(stat -c %s "$f")" ;; esac
        done)
    } >"$dir/MANIFEST"
    (cd "$dir" && sha256sum MANIFEST >>SHA256SUMS)
    chown -R impactlink:impactlink "$dir"
    chmod 644 "$dir"/*
    size=$(du -sh "$dir" | cut -f1)
    touch -d "@$((at + 1))" "$dir"/* "$dir"
    {
        echo "[$(date -d "@$at" '+%F %T')] backup $id -> $dir"
        echo "[$(date -d "@$((at + 1))" '+%F %T')] database: impactlink_prod.dump $(numfmt --to=iec --suffix=B "$(stat -c %s "$dir/impactlink_prod.dump")")"
        [ "$mode" != full ] || echo "[$(date -d "@$((at + 1))" '+%F %T')] files: app-files.tar.gz $(numfmt --to=iec --suffix=B "$(stat -c %s "$dir/app-files.tar.gz")")"
        echo "[$(date -d "@$((at + 1))" '+%F %T')] backup OK: $dir ($size, 1 s)"
    } >>"$LOG"
}

release="$(as_ops git -C /home/impactlink/app describe --tags --exact-match HEAD 2>/dev/null) ($(as_ops git -C /home/impactlink/app rev-parse --short HEAD))"

# The nightly job runs at 02:00; last night's run is today's unless it is not yet 03:00.
now=$(date +%s)
last=$(date -d 'today 02:00' +%s)
[ "$last" -le $((now - 3600)) ] || last=$(date -d 'yesterday 02:00' +%s)
previous=$((last - NIGHTS * 86400))
manual_nights=" $((2 + RANDOM % 2)) $((4 + RANDOM % 2)) $((7 + RANDOM % 2)) "
m=0
for k in $(seq "$NIGHTS" -1 1); do
    at=$((last - (k - 1) * 86400 + 1 + RANDOM % 50))
    if [[ $manual_nights == *" $k "* ]]; then
        # A manual backup during the day before this night, before someone's risky change.
        manual_at=$((at - 30000 - RANDOM % 20000))
        donations "$previous" "$((manual_at - 1))" $((3 + RANDOM % 5))
        backup_set "$manual_at" database "${MANUAL[$m]}"
        m=$((m + 1))
        previous=$manual_at
    fi
    donations "$previous" "$((at - 1))" $((6 + RANDOM % 10))
    if [ "$k" = 3 ]; then
        # The disputed donation arrives the day before the third-newest nightly.
        pg -v ref="pi_$LAB_REF" -v amount="$LAB_AMOUNT" -v at="$((at - 5000))" <<'SQL'
INSERT INTO donations (donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, is_anonymous,
                       created_at, updated_at)
SELECT d.id, c.id, :amount, 'ZAR', round(:amount * 0.029 + 2, 2), :amount - round(:amount * 0.029 + 2, 2),
       'credit_card', 'completed', :'ref', false, to_timestamp(:at), to_timestamp(:at)
  FROM (SELECT id FROM users WHERE user_type = 'donor' ORDER BY random() LIMIT 1) d,
       (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY random() LIMIT 1) c;
SQL
    fi
    backup_set "$at" full
    previous=$at
done
newest=$(ls -1d "$ROOT"/2*-full | sort | tail -n 1)
ln -sfn "$(basename "$newest")" "$ROOT/latest"
ln -sfn "$(basename "$newest")" "$ROOT/latest-database"
chown -h impactlink:impactlink "$ROOT/latest" "$ROOT/latest-database"

# Damage the dump of one set in place, as failing storage would: same size, same modification
# time, different bytes, until pg_restore certainly cannot read it through. Never last night's:
# the draw counts the other sets, newest first.
target_dir=$(ls -1d "$ROOT"/2*/ | sort -r | grep -vxF "$newest/" | sed -n "${LAB_DAMAGED}p")
target=${target_dir}impactlink_prod.dump
[ -f "$target" ]
when=$(stat -c %Y "$target")
size=$(stat -c %s "$target")
for _ in 1 2 3 4 5; do
    dd if=/dev/urandom of="$target" bs=512 seek=$(((size / 3 + RANDOM % (size / 3)) / 512)) count=2 conv=notrunc status=none
    pg_restore -f /dev/null "$target" 2>/dev/null || break
done
touch -d "@$when" "$target"

# Today, after last night's backup: donations, a refund, and the disputed donation removed.
donations "$previous" "$((now - 60))" $((8 + RANDOM % 8))
pg <<'SQL'
UPDATE donations SET payment_status = 'refunded', updated_at = now()
 WHERE id = (SELECT id FROM donations WHERE payment_status = 'completed' AND stripe_payment_intent_id LIKE 'pi_sim_%'
              ORDER BY created_at DESC LIMIT 1);
SQL
pg -v ref="pi_$LAB_REF" <<'SQL'
DELETE FROM donations WHERE stripe_payment_intent_id = :'ref';
SQL

# The freshness donation: any backup that holds it was taken after this moment.
pg -v marker="pi_drill_${LAB_MARKER}" <<'SQL'
INSERT INTO donations (donor_id, charity_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, created_at, updated_at)
SELECT donor.id, charity.id, 250, 'ZAR', round(250 * 0.029 + 2, 2), 250 - round(250 * 0.029 + 2, 2),
       'credit_card', 'completed', :'marker', now(), now()
  FROM (SELECT id FROM users WHERE user_type = 'donor' ORDER BY created_at DESC LIMIT 1) AS donor,
       (SELECT id FROM charities WHERE verification_status = 'verified' ORDER BY name LIMIT 1) AS charity;
SQL
