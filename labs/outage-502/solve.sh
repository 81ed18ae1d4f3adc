#!/bin/bash
# outage-502 reference solution, as the impactlink user: follow the 502 to its cause and fix it there.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
cd ~/app

curl -s -o /dev/null -w 'health: %{http_code}\n' "https://$DOMAIN/api/v1/health"
sudo tail -n 5 /var/log/nginx/error.log
upstream_port=$(sudo tail -n 50 /var/log/nginx/error.log | grep -o 'upstream: "http://127\.0\.0\.1:[0-9]*' | tail -n 1 | grep -o '[0-9]*$')
echo "Nginx connects to port $upstream_port"
systemctl status impactlink-api --no-pager | head -n 5 || true
# The API keeps running in this outage; give a restart in progress a moment to listen.
listening=""
for _ in $(seq 40); do
    listening=$(ss -ltnpH | awk '/"node"/ {n = split($4, a, ":"); print a[n]}' | head -n 1)
    [ -n "$listening" ] && break
    sleep 0.5
done
echo "node listens on: ${listening:-nothing}"
[ -n "$listening" ]

if [ "$listening" != 5000 ]; then
    # The API moved off its documented port (5000, the upstream and .env.example agree).
    cp -p .env .env.before-fix
    sed -i 's/^PORT=.*/PORT=5000/' .env
    sudo systemctl restart impactlink-api
    echo "ANSWER: fault-value $listening"
else
    # The API is where it belongs; Nginx points somewhere else.
    sudo cp -p /etc/nginx/sites-available/impactlink /root/impactlink.site.before-fix
    sudo sed -i "s/server 127\.0\.0\.1:$upstream_port;/server 127.0.0.1:5000;/" /etc/nginx/sites-available/impactlink
    sudo nginx -t
    sudo systemctl reload nginx
    echo "ANSWER: fault-value $upstream_port"
fi

for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq .
rm -f .env.before-fix
