#!/bin/bash
# forgery: Name the attacker correctly but block it in Nginx (deny) and write it into nftables.conf as a comment, instead of dropping it at the firewall
# class: teaches
# targets: access-logs
[ "$1" = before ] || exit 0
attacker=$(sudo awk '$7 ~ /login/ && $1 != "127.0.0.1" {print $1}' /var/log/nginx/access.log | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
sudo sed -i "s#^    location /api/ {#    deny $attacker;\n&#" /etc/nginx/sites-available/impactlink
sudo nginx -t -q && sudo systemctl reload nginx
echo "# blocked in nginx: ip saddr $attacker" | sudo tee -a /etc/nftables.conf >/dev/null
echo "ANSWER: attacker-address $attacker"
