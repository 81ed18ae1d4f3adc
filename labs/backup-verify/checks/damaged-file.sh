#!/bin/bash
# verify-backups: the expected answer, computed in the probe from the backup files themselves.
# It is the SHA-256 that the one damaged file has now. "Damaged" needs two things: the file no
# longer matches the checksum its set recorded, AND its content is broken (pg_restore or gzip
# cannot read it through). Damage cannot be undone, so the answer cannot be moved to a file of
# one's own choosing:
# - rewriting the SHA256SUMS files hides the real damage but leaves its broken dump behind;
# - copying an intact dump over the damaged one leaves two sets with the same dump, or a set
#   whose dump was written at another time than the set (its header says when).
# In any such case no single damaged file remains, and nothing that can be typed matches.
ROOT=/var/backups/impactlink
CACHE=/tmp/backup-verify-read
mkdir -p "$CACHE"

# Whether a file reads through, and its SHA-256, per file version (device, inode, size, mtime,
# ctime: any change to the file gives it a new key). Shared with the warm-up in
# checks/fresh-backup.sh and checks/verify-restored.sh: keep the three identical.
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
# The time a custom-format dump's header says it was written (epoch), or nothing.
header_time() {
    perl -MPOSIX=mktime -e 'open(my $h, "<:raw", $ARGV[0]) or exit; read($h, my $b, 64) == 64 or exit;
        substr($b, 0, 5) eq "PGDMP" or exit;
        print mktime((map { unpack("V", substr($b, 17 + 5 * $_, 4)) } 0 .. 5), 0, 0, -1)' "$1"
}

mismatched=() broken=() answer="" tampered=""
declare -A seen
while IFS= read -r -d '' sums; do
    dir=$(dirname "$sums")
    while read -r recorded name; do
        name=${name#\*}
        f=$dir/$name
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        read -r ok current < <(readable "$f")
        [ "$current" = "$recorded" ] || { mismatched+=("$f"); answer=$current; }
        [ "$ok" = 1 ] || broken+=("$f")
        if [[ $name == *.dump ]]; then
            # A set is named after the moment it was taken; its dump's header says the same.
            stamp=$(basename "$dir" | grep -oE '^[0-9]{8}-[0-9]{6}')
            named=$(date -d "${stamp:0:8} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s 2>/dev/null)
            written=$(header_time "$f")
            if [ -n "$named" ] && [ -n "$written" ] && [ "$ok" = 1 ] &&
                { [ "$written" -lt $((named - 120)) ] || [ "$written" -gt $((named + 120)) ]; }; then
                tampered="the dump in $dir was written at another time than its set"
            fi
            [ -n "${seen[$current]:-}" ] && tampered="two sets hold the same dump: ${seen[$current]} $f"
            seen[$current]=$f
        fi
    done < <(grep -E '^[0-9a-f]{64} [ *][^/]+$' "$sums")
done < <(find "$ROOT/" -mindepth 2 -maxdepth 3 -type f -name SHA256SUMS -print0 2>/dev/null)
[ -z "$tampered" ] || echo "$tampered" >&2

if [ -z "$tampered" ] && [ "${#mismatched[@]}" = 1 ] && [ "${#broken[@]}" = 1 ] &&
    [ "${mismatched[0]}" = "${broken[0]}" ]; then
    echo "$answer"
else
    # No single damaged file (the sets were changed after the lab began): nothing can match.
    echo "no-single-damaged-file-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
fi
