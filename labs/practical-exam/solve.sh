#!/bin/bash
# practical-exam reference solution, as impactlink: triage from the outside in, fix each fault at
# its cause, and leave a fresh verified backup. Prints the port Nginx was sending requests to.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
SITE=/etc/nginx/sites-available/impactlink

curl -sk -o /dev/null -w 'health: %{http_code}\n' "https://$DOMAIN/api/v1/health"
df -h /srv

# The disk first: nothing else can be written while it is full.
big=$(sudo find /srv -xdev -type f -size +500M -printf '%s %p\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2-)
echo "largest file: $big"
[ -n "$big" ]
sudo rm -f -- "$big"
df -h /srv

# The 502: where does Nginx send requests?
port=$(sudo tail -n 100 /var/log/nginx/error.log | grep -o 'upstream: "http://127\.0\.0\.1:[0-9]*' | tail -n 1 | grep -o '[0-9]*$')
echo "Nginx connects to port $port; the API listens on $(ss -ltnH | awk '{print $4}' | grep -c ':5000$') socket(s) at 5000"
sudo cp -p "$SITE" /root/impactlink.site.before-fix
sudo sed -i "s/server 127\.0\.0\.1:$port;/server 127.0.0.1:5000;/" "$SITE"

# The certificate: reissue from the internal CA.
sudo openssl x509 -noout -enddate -in /etc/nginx/ssl/impactlink.crt
sudo impactlink-issue-cert --days 90
sudo nginx -t
sudo systemctl reload nginx

# Redis.
systemctl is-active redis-server || sudo systemctl start redis-server
for _ in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq -c .

# A new full backup, verified.
~/scripts/backup.sh full
(cd /var/backups/impactlink/latest && sha256sum -c SHA256SUMS)
echo "ANSWER: wrong-port $port"
