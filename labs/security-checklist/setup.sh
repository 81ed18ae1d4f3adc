#!/bin/bash
# security-checklist setup on prod (root): the server as the audit found it. A drop-in under
# /etc/ssh/sshd_config.d (LAB_DROPIN) turns password and root logins back on, and a former
# contractor's key (LAB_CONTRACTOR) still opens both impactlink and root; the firewall allows
# everything while the node exporter listens on every interface; the certificate expires soon or
# has expired (LAB_CERT); the newest backup (LAB_LABEL) lies on disk unencrypted.
set -euo pipefail
: "${LAB_DROPIN:?}" "${LAB_CONTRACTOR:?}" "${LAB_CERT:?}" "${LAB_LABEL:?}"

# SSH: the drop-in is read before the rest of sshd_config, so its values win.
printf '# Added for the vendor support session (temporary)\nPasswordAuthentication yes\nPermitRootLogin yes\n' \
    >"/etc/ssh/sshd_config.d/$LAB_DROPIN.conf"
work=$(mktemp -d)
ssh-keygen -q -t ed25519 -N '' -C "$LAB_CONTRACTOR (contractor, 2024)" -f "$work/key"
install -d -m 700 /root/.ssh
cat "$work/key.pub" >>/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
cat "$work/key.pub" >>/home/impactlink/.ssh/authorized_keys
rm -rf "$work"
systemctl reload ssh

# An exporter for a monitoring trial, listening on every interface, and a firewall that allows all.
systemctl start node-exporter

# The certificate: expired, or days from expiry.
if [ "$LAB_CERT" = expired ]; then
    impactlink-issue-cert --expired >/dev/null
else
    impactlink-issue-cert --days "$LAB_CERT" >/dev/null
fi
systemctl reload nginx

# The newest database backup, in plain text like every other.
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database --label "$LAB_LABEL" >/dev/null
ls -d /var/backups/impactlink/*-database-"$LAB_LABEL" >/dev/null
