#!/bin/bash
# forgery: Stop the node exporter and reject its port under an accepting policy; encrypt the dump with a password typed on the command line and a different key in /root/backup.key
# class: teaches
# targets: ports, backup-encryption
[ "$1" = before ] || exit 0
sudo systemctl stop node-exporter
sudo tee /etc/nftables.conf >/dev/null <<'NFT'
flush ruleset
table inet filter {
    chain input {
        type filter hook input priority filter; policy accept;
        iif "lo" accept
        ct state established,related accept
        tcp dport { 22, 80, 443 } accept
        tcp dport 9100 reject with tcp reset
    }
}
NFT
sudo systemctl restart nftables
sudo sh -c 'umask 077; openssl rand -hex 32 >/root/backup.key'
dir=$(ls -d /var/backups/impactlink/*-database-* | tail -n 1)
sudo openssl enc -aes-256-cbc -pbkdf2 -salt -in "$dir/impactlink_prod.dump" -out "$dir/impactlink_prod.dump.enc" -pass pass:ImpactLink2024
