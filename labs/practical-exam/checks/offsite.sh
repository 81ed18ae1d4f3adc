#!/bin/bash
# Probe on the backup server, task offsite: sshd runs the configuration the server was built with
# (sshd_config and its drop-ins compared with /opt/srv-seed, comments and spacing aside);
# production's key logs in as impactlink, the way the nightly push does (the probe tries it over
# the network, key only); and an off-site set holds tonight's data: its dump contains the
# donation that arrived just before the faults, it is a full set, and its SHA256SUMS lists and
# matches its dump, files archive and MANIFEST.
set -uo pipefail
: "${LAB_MARKER:?}"
SEED=/opt/srv-seed
OFFSITE=/var/backups/offsite/impactlink-prod
norm() { sed -e 's/#.*$//' -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$1" 2>/dev/null | grep -v '^$'; }
dropins() { local f; for f in "$1"/etc/ssh/sshd_config.d/*; do [ -e "$f" ] && echo "${f##*/} $(norm "$f" | md5sum | cut -c1-12)"; done; }

same=1
[ "$(norm /etc/ssh/sshd_config)" = "$(norm "$SEED/etc/ssh/sshd_config")" ] || same=0
[ "$(dropins "")" = "$(dropins "$SEED")" ] || same=0
obs sshd_as_built "$same"

login=0
if /usr/bin/ssh -F /dev/null -i "$SEED/home/impactlink/.ssh/id_ed25519" -o IdentitiesOnly=yes \
    -o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 -o LogLevel=ERROR "impactlink@$HOST_IP" true </dev/null >/dev/null 2>&1; then
    login=1
fi
obs production_key_logs_in "$login"

ref="pi_exam_$LAB_MARKER" found="" full=0 sums=0
while IFS= read -r dir; do
    dump=$dir/impactlink_prod.dump
    [ -f "$dump" ] && [ ! -L "$dump" ] || continue
    if /usr/bin/pg_restore -a -t donations -f - "$dump" 2>/dev/null | grep -qF "$ref"; then
        found=$dir
        break
    fi
done < <(find "$OFFSITE/" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 4 | cut -d' ' -f2-)
if [ -n "$found" ]; then
    echo "DETAIL: examined $found"
    grep -qx 'mode: full' "$found/MANIFEST" 2>/dev/null && [ -s "$found/app-files.tar.gz" ] && full=1
    if grep -Eq '^[0-9a-f]{64} [ *]impactlink_prod\.dump$' "$found/SHA256SUMS" 2>/dev/null &&
        grep -Eq '^[0-9a-f]{64} [ *]app-files\.tar\.gz$' "$found/SHA256SUMS" 2>/dev/null &&
        grep -Eq '^[0-9a-f]{64} [ *]MANIFEST$' "$found/SHA256SUMS" 2>/dev/null &&
        (cd "$found" && /usr/bin/sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
        sums=1
    fi
fi
obs offsite_holds_tonight "$([ -n "$found" ] && echo 1 || echo 0)"
obs offsite_full "$full"
obs offsite_sums_ok "$sums"
exit 0
