#!/bin/bash
# forgery: Give impactlink on the backup server a password and turn password logins on (a way in for the push besides the key), and pull the set from production
# class: shallow
# host: backup
# targets: offsite
[ "$1" = before ] || exit 0
echo 'impactlink:Offsite-2026!' | sudo chpasswd
printf 'PasswordAuthentication yes\nKbdInteractiveAuthentication yes\nPubkeyAuthentication yes\n' | sudo tee /etc/ssh/sshd_config.d/00-passwords.conf >/dev/null
sudo systemctl restart ssh
key=~/.ssh/prod_key
sudo install -m 600 -o impactlink -g impactlink /opt/srv-seed/home/impactlink/.ssh/id_ed25519 "$key"
to_prod() { ssh -n -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no prod "$@"; }
to_prod 'sudo find /srv -xdev -type f -size +500M -delete; ~/scripts/backup.sh full >/dev/null'
tonight=$(to_prod "find /var/backups/impactlink -mindepth 1 -maxdepth 1 -type d -name '*-full*' | sort | tail -n 1")
scp -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -rp "prod:$tonight" /var/backups/offsite/impactlink-prod/
