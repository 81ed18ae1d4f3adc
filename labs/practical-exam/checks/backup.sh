#!/bin/bash
# Probe, task backup: /srv is below the health check's warning level again, and a full backup set
# written by the backup script holds the donation that arrived just before the night's faults: its
# dump reads through and contains that donation, the set has its files archive, its MANIFEST
# describes the dump (its size and the rows of each table in it, as backup.sh writes them), and its
# SHA256SUMS lists and matches the dump, the archive and the MANIFEST.
set -uo pipefail
ROOT=/var/backups/impactlink
used=$(df --output=pcent /srv 2>/dev/null | tail -n 1 | tr -dc 0-9)
obs disk_used_percent "${used:-100}"

ref=$(hpsql impactlink_prod "SELECT stripe_payment_intent_id FROM donations
                              WHERE stripe_payment_intent_id LIKE 'pi\_exam\_%' ORDER BY created_at LIMIT 1")
found="" readable=0 counts=""
tally=$(mktemp)
trap 'rm -f "$tally"' EXIT
if [ -n "$ref" ]; then
    # The newest sets first, by the time the directory was made.
    while IFS= read -r dir; do
        dump=$dir/impactlink_prod.dump
        [ -f "$dump" ] && [ ! -L "$dump" ] || continue
        if /usr/bin/pg_restore -a -t donations -f - "$dump" 2>/dev/null | grep -qF "$ref"; then
            found=$dir
            # One read of the whole archive: it must read through, and its rows are counted.
            /usr/bin/pg_restore -f - "$dump" 2>/dev/null | awk '
                /^COPY public\./ { split($2, n, "."); t = n[2]; on = 1; next }
                /^\\\.$/ { on = 0; next }
                on { rows[t]++ }
                END { printf "users=%d charities=%d projects=%d donations=%d", rows["users"], rows["charities"], rows["projects"], rows["donations"] }' >"$tally"
            [ "${PIPESTATUS[0]}" = 0 ] && readable=1
            counts=$(cat "$tally")
            break
        fi
    done < <(find "$ROOT/" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 4 | cut -d' ' -f2-)
fi
obs holds_new_donation "$([ -n "$found" ] && echo 1 || echo 0)"
obs readable "$readable"
full=0 manifest=0 sums=0
if [ -n "$found" ]; then
    echo "DETAIL: examined $found"
    grep -qx 'mode: full' "$found/MANIFEST" 2>/dev/null && [ -s "$found/app-files.tar.gz" ] && full=1
    listed=$(awk '$1 == "impactlink_prod.dump" && $3 == "bytes" { print $2 }' "$found/MANIFEST" 2>/dev/null | head -n 1)
    said=$(sed -n 's/^row_counts: //p' "$found/MANIFEST" 2>/dev/null | head -n 1)
    [ -n "$listed" ] && [ "$listed" = "$(stat -c %s "$found/impactlink_prod.dump")" ] &&
        [ -n "$said" ] && [ "$said" = "$counts" ] && manifest=1
    if grep -Eq '^[0-9a-f]{64} [ *]impactlink_prod\.dump$' "$found/SHA256SUMS" 2>/dev/null &&
        grep -Eq '^[0-9a-f]{64} [ *]app-files\.tar\.gz$' "$found/SHA256SUMS" 2>/dev/null &&
        grep -Eq '^[0-9a-f]{64} [ *]MANIFEST$' "$found/SHA256SUMS" 2>/dev/null &&
        (cd "$found" && /usr/bin/sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
        sums=1
    fi
fi
obs full_set "$full"
obs manifest_matches "$manifest"
obs sums_ok "$sums"
exit 0
