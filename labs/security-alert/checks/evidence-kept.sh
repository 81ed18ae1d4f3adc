#!/bin/bash
# Before redaction a root-only copy of the affected logs was kept in /root/incident-evidence.
set -uo pipefail
: "${LAB_DBPW:?}"
dir=/root/incident-evidence
if [ ! -d "$dir" ]; then
    echo "FAIL: there is no $dir with the original logs."
    exit 1
fi
if [ "$(stat -c %U "$dir")" != root ] || [ $(( 0$(stat -c %a "$dir") & 077 )) != 0 ]; then
    echo "FAIL: $dir must belong to root and be closed to group and others (mode 700)."
    exit 1
fi
open=$(find "$dir" -type f -perm /077 | head -n 3)
if [ -n "$open" ]; then
    echo "FAIL: evidence files readable beyond root: $(echo $open)"
    exit 1
fi
found=0
while IFS= read -r -d '' f; do
    if zgrep -qF -- "$LAB_DBPW" "$f" 2>/dev/null || { tar -xzOf "$f" 2>/dev/null || tar -xOf "$f" 2>/dev/null; } | grep -qF -- "$LAB_DBPW"; then
        found=1
        break
    fi
done < <(find "$dir" -type f -print0)
if [ $found = 0 ]; then
    echo "FAIL: nothing in $dir holds the original, unredacted log lines."
    echo "HINT: Copy the affected logs (cp -p or tar) before you redact them."
    exit 1
fi
