#!/bin/bash
# A byte-identical copy of the backup's dump is on staging (its SHA-256 as published on the share).
set -uo pipefail
: "${LAB_SHARE_PW:?}"
SHARE=http://prod:8080/backups
dir=$(curl -s --max-time 5 -u "restore:$LAB_SHARE_PW" "$SHARE/" | grep -o 'href="[0-9][^"/]*-database-nightly/"' | cut -d'"' -f2 | sort | tail -n 1)
want=$(curl -s --max-time 5 -u "restore:$LAB_SHARE_PW" "$SHARE/${dir}SHA256SUMS" | awk '$2 ~ /impactlink_prod\.dump$/ {print $1}')
if [ -z "$dir" ] || [ -z "$want" ]; then
    echo "DETAIL: the backup share on prod did not answer (dir='$dir')"
    exit 3
fi
size=$(curl -s --max-time 5 -u "restore:$LAB_SHARE_PW" -I "$SHARE/${dir}impactlink_prod.dump" | tr -d '\r' | awk 'tolower($1) == "content-length:" {print $2}')
while IFS= read -r -d '' f; do
    if [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$want" ]; then
        echo "DETAIL: found $f"
        exit 0
    fi
done < <(find -H /home/impactlink /tmp /var/tmp /var/backups /root /srv -xdev -type f -size "${size:-0}c" -print0 2>/dev/null)
echo "FAIL: no copy of the backup's impactlink_prod.dump (byte for byte) is on staging."
echo "HINT: curl -n -O http://prod:8080/backups/<backup>/impactlink_prod.dump, and the SHA256SUMS beside it."
exit 1
