#!/bin/bash
# practical-exam setup on prod (root), after the backup server is set up: the nightly off-site
# push (a script beside the other ops scripts, production's SSH client set up for the backup
# server) ran and was refused; its own error is in the backup log.
set -euo pipefail
HOME_DIR=/home/impactlink
as_ops() { runuser -u impactlink -- "$@"; }

cat >"$HOME_DIR/scripts/offsite-push.sh" <<'PUSH'
#!/bin/bash
# Copy the newest backup set to the backup server (impactlink-backup) over SSH, then verify the
# copy there. Runs nightly from cron after backup.sh. Usage: offsite-push.sh [SET_DIR]
set -euo pipefail
ROOT=/var/backups/impactlink
HOST=${OFFSITE_HOST:-backup}
DEST=/var/backups/offsite/impactlink-prod
set_dir=${1:-$(find "$ROOT" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort | tail -n 1)}
[ -n "$set_dir" ] && [ -d "$set_dir" ] || { echo "offsite: no backup set to push" >&2; exit 1; }
name=$(basename "$set_dir")
echo "offsite: pushing $name to $HOST"
scp -q -rp -o BatchMode=yes -o ConnectTimeout=10 "$set_dir" "$HOST:$DEST/"
ssh -n -o BatchMode=yes -o ConnectTimeout=10 "$HOST" "cd '$DEST/$name' && sha256sum --quiet -c SHA256SUMS"
echo "offsite: $name copied and verified on $HOST"
PUSH
chown impactlink:impactlink "$HOME_DIR/scripts/offsite-push.sh"
chmod 755 "$HOME_DIR/scripts/offsite-push.sh"

# The backup server's host key, as it was accepted when the push was set up.
awk '{ $1 = "backup,impactlink-backup"; print }' /opt/srv-seed/home/impactlink/.ssh/known_hosts >>"$HOME_DIR/.ssh/known_hosts"
printf 'Host backup impactlink-backup\n    HostName backup\n    User impactlink\n' >"$HOME_DIR/.ssh/config"
chown impactlink:impactlink "$HOME_DIR/.ssh/config" "$HOME_DIR/.ssh/known_hosts"
chmod 600 "$HOME_DIR/.ssh/config"

# The nightly push of the last good backup set, refused by the backup server.
as_ops bash -c '{ echo "[$(date "+%F %T")] offsite push"; ~/scripts/offsite-push.sh 2>&1; } >>/var/log/impactlink/backup.log' || true
if tail -n 3 /var/log/impactlink/backup.log | grep -q 'copied and verified'; then
    echo "the backup server accepted the push despite its fault" >&2; exit 1
fi
