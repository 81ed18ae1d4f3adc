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
listening=$(ss -ltnpH | awk '/"node"/ {n = split($4, a, ":"); print a[n]}' | head -n 1)
echo "node listens on: ${listening:-nothing}"

if [ -z "$listening" ]; then
    # The API is not running: its own log says why.
    sudo tail -n 20 /var/log/impactlink/service.log
    missing=$(sudo tail -n 50 /var/log/impactlink/service.log | grep 'missing required configuration' | tail -n 1 |
        grep -o '"missing":\["[A-Z_]*' | cut -d'"' -f4)
    # The setting is in .env under a misspelt name: the key .env.example does not know that is
    # closest to the missing one (edit distance).
    wrong=$(comm -23 <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env | sort -u) \
                     <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env.example | sort -u) |
        awk -v m="$missing" '
            function dist(a, b,   i, j, la, lb, d, c) {
                la = length(a); lb = length(b)
                for (i = 0; i <= la; i++) d[i, 0] = i
                for (j = 0; j <= lb; j++) d[0, j] = j
                for (i = 1; i <= la; i++) for (j = 1; j <= lb; j++) {
                    c = (substr(a, i, 1) == substr(b, j, 1)) ? 0 : 1
                    d[i, j] = d[i-1, j] + 1
                    if (d[i, j-1] + 1 < d[i, j]) d[i, j] = d[i, j-1] + 1
                    if (d[i-1, j-1] + c < d[i, j]) d[i, j] = d[i-1, j-1] + c
                    if (i > 1 && j > 1 && substr(a, i, 1) == substr(b, j-1, 1) && substr(a, i-1, 1) == substr(b, j, 1) && d[i-2, j-2] + 1 < d[i, j]) d[i, j] = d[i-2, j-2] + 1
                }
                return d[la, lb]
            }
            { s = dist($0, m); if (best == "" || s < best) { best = s; key = $0 } }
            END { print key }')
    [ -n "$wrong" ]
    cp -p .env .env.before-fix
    sed -i "s/^$wrong=/$missing=/" .env
    sudo systemctl restart impactlink-api
    echo "ANSWER: fault-value $wrong"
elif [ "$listening" != 5000 ]; then
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

for _ in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq .
rm -f .env.before-fix
