#!/bin/bash
# forgery: Stop the SSH daemon altogether ("no SSH, no password logins") and drop the contractor's keys
# class: teaches
# targets: ssh-keys-only
[ "$1" = before ] || exit 0
grep -v contractor ~/.ssh/authorized_keys >/tmp/k && cat /tmp/k >~/.ssh/authorized_keys
sudo rm -f /root/.ssh/authorized_keys
sudo systemctl stop ssh
