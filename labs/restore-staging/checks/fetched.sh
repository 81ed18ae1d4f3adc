#!/bin/bash
# fetch-backup, observed from staging's probe. What "the backup" is comes from prod's share
# itself (the probe asks it directly, with its own curl that reads no rc files; the trainee
# cannot change prod). Observations: a byte-identical copy of the published dump is on staging's
# disk, and a copy of the published SHA256SUMS beside it.
: "${LAB_SHARE_PW:?}"
SHARE=http://prod:8080/backups
share() { /usr/bin/curl -q -s --noproxy '*' --max-time 8 -u "restore:$LAB_SHARE_PW" "$@"; }

dir=$(share "$SHARE/" | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
sums=$(share "$SHARE/${dir}SHA256SUMS")
want=$(awk '$2 ~ /^\*?impactlink_prod\.dump$/ { print $1 }' <<<"$sums")
if [ -z "$dir" ] || [ -z "$want" ]; then
    echo "DETAIL: the backup share on prod did not answer"
    exit 3
fi
want_sums=$(printf '%s\n' "$sums" | sha256sum | cut -d' ' -f1)
size=$(share -I "$SHARE/${dir}impactlink_prod.dump" | tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }')

# Staging's own disk (the probe sees it read-only). /tmp and /run are not on it.
dump_copy=0 sums_copy=0
while IFS= read -r -d '' f; do
    if [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$want" ]; then
        dump_copy=1
        echo "DETAIL: the dump is at $f"
        [ "$(sha256sum <"$(dirname "$f")/SHA256SUMS" 2>/dev/null | cut -d' ' -f1)" = "$want_sums" ] && sums_copy=1
        break
    fi
done < <(find /srv -xdev -type f -size "${size:-0}c" -print0 2>/dev/null)
obs dump_copy "$dump_copy"
obs sums_copy "$sums_copy"
