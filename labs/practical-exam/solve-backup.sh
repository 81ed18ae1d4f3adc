#!/bin/bash
# practical-exam reference solution on the backup server, as impactlink: read why sshd refused
# production's push, and put right whatever of the three it is (modes, the authorised key, a
# drop-in the server was not built with) without weakening sshd, then reload it.
set -euo pipefail
sudo grep -E 'sshd\[[0-9]+\]' /var/log/auth.log | tail -n 8 || true
sudo sshd -T | grep -Ei '^(strictmodes|pubkeyauthentication|authorizedkeysfile) ' || true
stat -c '%a %U:%G %n' ~ ~/.ssh ~/.ssh/authorized_keys

# sshd's StrictModes: nothing on the way to authorized_keys writable by others.
chmod go-w ~
chmod 700 ~/.ssh
chmod 600 ~/.ssh/authorized_keys

# Drop-ins the server was not built with (compare with /opt/srv-seed, the server as built).
for conf in /etc/ssh/sshd_config.d/*; do
    [ -e "$conf" ] || continue
    [ -e "/opt/srv-seed$conf" ] || { echo "not as built: $conf"; sudo mv "$conf" "/root/$(basename "$conf").disabled"; }
done
sudo sshd -t
sudo systemctl reload ssh

# Production's current public key (cat ~/.ssh/id_ed25519.pub on prod; the same as the one the
# servers were built with) is the one authorised to push.
prod_key=$(cat /opt/srv-seed/home/impactlink/.ssh/id_ed25519.pub)
grep -qxF "$prod_key" ~/.ssh/authorized_keys || { echo "authorising production's current key"; echo "$prod_key" >>~/.ssh/authorized_keys; }
ls -l /var/backups/offsite/impactlink-prod/
