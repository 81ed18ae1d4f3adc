#!/bin/bash
# Probe: a database backup has an encrypted copy that restores. The key is /root/backup.key,
# root's alone and long enough; impactlink_prod.dump.enc beside a backup's dump decrypts with that
# key (openssl enc -aes-256-cbc -pbkdf2) to exactly the dump the backup's SHA256SUMS records, and
# that dump is a real pg_dump archive of the database. Without the key it does not open.
set -uo pipefail
KEY=/root/backup.key
key_ok=0
if [ -f "$KEY" ] && [ ! -L "$KEY" ] && [ "$(stat -c '%U %a' "$KEY")" = "root 600" -o "$(stat -c '%U %a' "$KEY")" = "root 400" ] &&
    [ "$(tr -d '\n' <"$KEY" | wc -c)" -ge 32 ]; then
    key_ok=1
fi
obs key_kept_apart "$key_ok"

found=0 restores=0 locked=0
for enc in /var/backups/impactlink/*/impactlink_prod.dump.enc; do
    [ -f "$enc" ] && [ ! -L "$enc" ] || continue
    found=1
    dir=${enc%/*}
    want=$(awk '$2 ~ /(^|\/|\*)impactlink_prod\.dump$/ {print $1}' "$dir/SHA256SUMS" 2>/dev/null | head -n 1)
    [ -n "$want" ] || continue
    # The recorded dump is the backup's own, and a real archive of this database.
    [ "$(sha256sum <"$dir/impactlink_prod.dump" 2>/dev/null | cut -d' ' -f1)" = "$want" ] || continue
    /usr/bin/pg_restore --list "$dir/impactlink_prod.dump" 2>/dev/null | grep -q 'TABLE DATA public donations' || continue
    got=$(/usr/bin/openssl enc -d -aes-256-cbc -pbkdf2 -in "$enc" -pass "file:$KEY" 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || continue
    restores=1
    # Anyone without the key gets nothing: no empty password, no readable archive inside.
    head -c 5 "$enc" | grep -q PGDMP && continue
    empty=$(/usr/bin/openssl enc -d -aes-256-cbc -pbkdf2 -in "$enc" -pass pass: 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$empty" != "$want" ] && locked=1
    [ "$locked" = 1 ] && break
done
obs encrypted_copy "$found"
obs decrypts_to_backup "$restores"
obs needs_key "$locked"
exit 0
