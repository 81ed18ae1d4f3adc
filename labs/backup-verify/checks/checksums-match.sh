#!/bin/bash
# SHA256SUMS of the newest backup must list the dump and match every file, and the dump itself
# must be a real dump holding the marker (a checksum of a fake file proves nothing).
newest=""
for dir in $(ls -1d /var/backups/impactlink/2*/ 2>/dev/null | sort -r); do
  if [ -e "${dir}impactlink_prod.dump" ]; then newest=${dir%/}; break; fi
done
if [ -z "$newest" ]; then
  echo "FAIL: There is no database backup to verify yet."
  exit 1
fi
cd "$newest" || exit 2
if [ ! -s SHA256SUMS ]; then
  echo "FAIL: $newest has no SHA256SUMS file."
  exit 1
fi
if ! grep -qE '^[0-9a-f]{64}  \*?impactlink_prod\.dump$' SHA256SUMS; then
  echo "FAIL: SHA256SUMS in $newest does not list impactlink_prod.dump."
  exit 1
fi
if ! out=$(sha256sum -c SHA256SUMS 2>&1); then
  echo "FAIL: The checksums in $newest do not match its files: the backup changed after it was written."
  echo "DETAIL: $out"
  exit 1
fi
if ! pg_restore --data-only --table=donations --file=- impactlink_prod.dump 2>/dev/null | grep -q "pi_drill_${LAB_MARKER}"; then
  echo "FAIL: The checksums match, but the dump they vouch for is not a backup of impactlink_prod taken in this lab."
  exit 1
fi
echo "DETAIL: $out"
exit 0
