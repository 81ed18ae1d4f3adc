#!/bin/bash
# forgery: Append PasswordAuthentication no and PermitRootLogin no to the end of sshd_config (under the drop-in that sets them to yes), reload, and clear the keys
# class: shallow
# targets: ssh-keys-only
[ "$1" = before ] || exit 0
printf '\nPasswordAuthentication no\nPermitRootLogin no\n' | sudo tee -a /etc/ssh/sshd_config >/dev/null
sudo systemctl reload ssh
grep -v contractor ~/.ssh/authorized_keys >/tmp/k && cat /tmp/k >~/.ssh/authorized_keys
sudo rm -f /root/.ssh/authorized_keys
