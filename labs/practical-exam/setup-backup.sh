#!/bin/bash
# practical-exam setup on the backup server (root): the off-site copies of production's backup
# sets live here, pushed over SSH as impactlink. This server runs no ImpactLink services. Its own
# impactlink key pair is its own (made here); production's key is the one authorised to log in.
# The fault, drawn per attempt, is why last night's push was refused:
#   modes:  the home's .ssh folder and authorized_keys made world-writable (sshd's StrictModes)
#   key:    authorized_keys replaced by a key that has since been rotated away on production
#   config: a drop-in that turns public-key authentication off
set -euo pipefail
: "${LAB_SSH_FAULT:?}"
HOME_DIR=/home/impactlink
OFFSITE=/var/backups/offsite/impactlink-prod
as_ops() { runuser -u impactlink -- "$@"; }

for unit in impactlink-traffic impactlink-api nginx redis-server; do systemctl stop "$unit" >/dev/null 2>&1 || true; done

# Where this shell is.
sed -i 's/^PS1=.*/PS1='"'"'\\[\\e[1;36m\\][BACKUP]\\[\\e[0m\\] \\[\\e[1;32m\\]\\u@\\h\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ '"'"'/' \
    "$HOME_DIR/.bashrc"
cat >>"$HOME_DIR/.bashrc" <<'BANNER'
case $- in *i*) printf '\n  \e[1;36m>>> BACKUP: impactlink-backup, off-site copies of production backups <<<\e[0m\n\n' ;; esac
BANNER

# This server's own key pair for impactlink.
rm -f "$HOME_DIR/.ssh/id_ed25519" "$HOME_DIR/.ssh/id_ed25519.pub"
as_ops ssh-keygen -q -t ed25519 -N '' -C "impactlink@impactlink-backup" -f "$HOME_DIR/.ssh/id_ed25519"

# Last week's off-site set, the way the nightly push leaves them.
install -d -o impactlink -g impactlink -m 750 /var/backups/offsite "$OFFSITE"
as_ops /home/impactlink/scripts/backup.sh full --label nightly >/dev/null
made=$(find /var/backups/impactlink -mindepth 1 -maxdepth 1 -type d -name '*-full*' | sort | tail -n 1)
old=$OFFSITE/$(date -d '7 days ago' +%Y%m%d)-020000-full-nightly
mv "$made" "$old"
sed -i "s/^host: .*/host: impactlink-prod/" "$old/MANIFEST" 2>/dev/null || true
(cd "$old" && as_ops sh -c 'sha256sum impactlink_prod.dump app-files.tar.gz MANIFEST >SHA256SUMS')
chown -R impactlink:impactlink "$old"
touch -d '7 days ago' "$old" "$old"/*
rm -rf /var/backups/impactlink/*

case $LAB_SSH_FAULT in
    modes)
        # "Let the restore tooling read the sets": a recursive chmod 777 that went one folder
        # too far (Debian's sshd forgives group-writable in a private group, not world-writable).
        chmod 0777 "$HOME_DIR/.ssh"
        chmod 0666 "$HOME_DIR/.ssh/authorized_keys"
        ;;
    key)
        # Production's key was rotated; this server still trusts only the old one.
        old_key=$(mktemp -d)
        ssh-keygen -q -t ed25519 -N '' -C "impactlink@impactlink-prod (2025)" -f "$old_key/id"
        install -o impactlink -g impactlink -m 600 "$old_key/id.pub" "$HOME_DIR/.ssh/authorized_keys"
        rm -rf "$old_key"
        ;;
    config)
        cat >/etc/ssh/sshd_config.d/40-auth-review.conf <<'CONF'
# Security review 2026-11: passwords only until the key inventory is done.
PubkeyAuthentication no
CONF
        ;;
    *) echo "unknown fault $LAB_SSH_FAULT" >&2; exit 2 ;;
esac
sshd -t
systemctl restart ssh
# The fault is live once production's key is refused here (the old sshd may answer for a moment).
refused() {
    ! ssh -n -F /dev/null -i /opt/srv-seed/home/impactlink/.ssh/id_ed25519 -o IdentitiesOnly=yes \
        -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=3 -o LogLevel=ERROR impactlink@127.0.0.1 true 2>/dev/null
}
listening() { ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ':22$'; }
for _ in $(seq 50); do listening && refused && break; sleep 0.2; done
listening && refused || { echo "sshd did not come back with the fault in place" >&2; exit 1; }
