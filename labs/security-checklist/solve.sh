#!/bin/bash
# security-checklist reference solution, as impactlink: work through the checklist with commands.
set -eu   # no pipefail: "| head" would end a solution on SIGPIPE
DOMAIN=impactlink.solovedhelpinghands.org.za

# 1. SSH: what the daemon really uses, and where it comes from.
sudo sshd -T | grep -E '^(passwordauthentication|permitrootlogin|kbdinteractiveauthentication|pubkeyauthentication) '
sudo grep -rnE '^\s*(PasswordAuthentication|PermitRootLogin|KbdInteractiveAuthentication)' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/ || true
for f in /etc/ssh/sshd_config.d/*.conf; do
    [ -e "$f" ] || continue
    if sudo grep -qiE '^\s*(PasswordAuthentication|PermitRootLogin)\s+yes' "$f"; then
        sudo cp -p "$f" "/root/$(basename "$f").removed"
        sudo rm -f "$f"
    fi
done
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n' |
    sudo tee /etc/ssh/sshd_config.d/00-hardening.conf >/dev/null
# Keys: one named key per current person; nothing for root.
awk '{print $NF}' ~/.ssh/authorized_keys
sudo awk '{print $0}' /root/.ssh/authorized_keys | cut -c1-30 || true
cp -p ~/.ssh/authorized_keys ~/authorized_keys.before-audit
grep -v 'contractor' ~/.ssh/authorized_keys >~/.ssh/authorized_keys.new || true
mv ~/.ssh/authorized_keys.new ~/.ssh/authorized_keys
chmod 600 ~/.ssh/authorized_keys
sudo rm -f /root/.ssh/authorized_keys
sudo sshd -t
sudo systemctl reload ssh
sudo sshd -T | grep -E '^(passwordauthentication|permitrootlogin|kbdinteractiveauthentication) '

# 2. The access log: who collects failed logins?
LOG=/var/log/nginx/access.log
sudo awk '$7 ~ /login/ && ($9 == 401 || $9 == 429) {print $1}' $LOG | sort | uniq -c | sort -rn | head -3
attacker=$(sudo awk '$7 ~ /login/ && ($9 == 401 || $9 == 429) && $1 != "127.0.0.1" {print $1}' $LOG | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
[ -n "$attacker" ]
echo "ANSWER: attacker-address $attacker"

# 3. Only the necessary ports: a default-drop input policy, the attacker dropped first.
sudo ss -tlnp
sudo cp -p /etc/nftables.conf /root/nftables.conf.before-audit
sudo tee /etc/nftables.conf >/dev/null <<NFT
#!/usr/sbin/nft -f
# Host firewall of impactlink-prod: SSH, HTTP and HTTPS in, everything else dropped.
flush ruleset

table inet filter {
    chain input {
        type filter hook input priority filter; policy drop;
        iif "lo" accept
        ct state established,related accept
        ct state invalid drop
        ip saddr $attacker drop comment "password guessing on /api/v1/auth/login"
        meta l4proto { icmp, ipv6-icmp } accept
        tcp dport { 22, 80, 443 } accept
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
    }
    chain output {
        type filter hook output priority filter; policy accept;
    }
}
NFT
sudo nft -c -f /etc/nftables.conf
sudo systemctl restart nftables
sudo nft list ruleset | head -20

# 4. The certificate: renew, reload, verify what is served.
echo | openssl s_client -connect $DOMAIN:443 -servername $DOMAIN 2>/dev/null | openssl x509 -noout -enddate || true
sudo impactlink-issue-cert
sudo systemctl reload nginx
sleep 1
echo | openssl s_client -connect $DOMAIN:443 -servername $DOMAIN 2>/dev/null | openssl x509 -noout -enddate -checkend 2592000

# 5. Backup encryption: a key kept apart from the backups, an encrypted copy that restores.
sudo sh -c 'umask 077; [ -s /root/backup.key ] || openssl rand -hex 32 >/root/backup.key'
dir=$(ls -d /var/backups/impactlink/*-database-* | tail -n 1)
sudo openssl enc -aes-256-cbc -pbkdf2 -salt -in "$dir/impactlink_prod.dump" -out "$dir/impactlink_prod.dump.enc" -pass file:/root/backup.key
want=$(awk '$2 ~ /impactlink_prod\.dump$/ {print $1}' "$dir/SHA256SUMS")
got=$(sudo openssl enc -d -aes-256-cbc -pbkdf2 -in "$dir/impactlink_prod.dump.enc" -pass file:/root/backup.key | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] && echo "encrypted copy decrypts to the backed-up dump"
