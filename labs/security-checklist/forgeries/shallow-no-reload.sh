#!/bin/bash
# forgery: Fix the SSH configuration files and the keys correctly but never reload the daemon
# class: shallow
# targets: ssh-keys-only
[ "$1" = before ] || exit 0
for f in /etc/ssh/sshd_config.d/*.conf; do sudo grep -q 'yes' "$f" && sudo rm -f "$f"; done
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n' | sudo tee /etc/ssh/sshd_config.d/00-hardening.conf >/dev/null
grep -v contractor ~/.ssh/authorized_keys >/tmp/k && cat /tmp/k >~/.ssh/authorized_keys
sudo rm -f /root/.ssh/authorized_keys
