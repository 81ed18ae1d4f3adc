#!/bin/bash
# security-alert reference solution, as the impactlink user. The leaked value never reaches a
# command line (sudo logs every command line to /var/log/sudo.log) nor the screen.
set -euo pipefail
cd ~/app
DOMAIN=impactlink.solovedhelpinghands.org.za
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Investigate: which files carry a connection string with a password (names only).
sudo grep -rlE 'postgres(ql)?://[^:/]+:[^@/]+@' /var/log/ | tee "$work/plain"
sudo find -H /var/log -name '*.gz' -exec zgrep -lE 'postgres(ql)?://[^:/]+:[^@/]+@' {} + | tee "$work/gz" || true
sudo awk '$7 ~ /auth\/login/ {print $1}' /var/log/nginx/access.log | sort | uniq -c | sort -rn | head -n 3
attacker=$(sudo awk '$7 ~ /auth\/login/ && $9 == 401 {print $1}' /var/log/nginx/access.log | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
echo "ANSWER: attacker-ip $attacker"

# The leaked password, into a file only (the pattern file for grep/sed below).
sudo grep -ohE 'postgresql://impactlink:[^@]+@' /var/log/impactlink/app.log | head -n 1 |
    sed -E 's#^postgresql://impactlink:(.*)@$#\1#' >"$work/old"
printf 's/%s/[REDACTED]/g\n' "$(cat "$work/old")" >"$work/redact.sed"

# 2. Evidence first: a root-only copy of the affected logs as they are now.
sudo install -d -o root -g root -m 700 /root/incident-evidence
sudo tar -czf /root/incident-evidence/logs-before-redaction.tar.gz -C / \
    $(cat "$work/plain" "$work/gz" | sort -u | sed 's#^/##')
sudo chmod 600 /root/incident-evidence/logs-before-redaction.tar.gz

# 3. Rotate: new password in PostgreSQL, .env and .pgpass, then restart the API.
cp -p .env "$work/env.before-rotation"
NEW=$(openssl rand -hex 24)
sudo -u postgres psql -X -Atc 'SHOW log_statement'
printf "ALTER ROLE impactlink PASSWORD '%s';\n" "$NEW" | sudo -u postgres psql -X -q
sed -i -E "s#^(DATABASE_URL=postgres(ql)?://[^:]+:)[^@]*@#\1${NEW}@#" .env
sed -i -E "s#^([^:]+:5432:\*:impactlink:).*#\1${NEW}#" ~/.pgpass
unset NEW
sudo systemctl restart impactlink-api
for _ in $(seq 40); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
psql -X -U impactlink -d impactlink_prod -Atc 'SELECT 1'

# 4. Redact in place (same file, same owner and mode, the writers' handles stay valid).
while read -r f; do
    sudo sed -f "$work/redact.sed" "$f" >"$work/clean"
    sudo tee "$f" <"$work/clean" >/dev/null
done <"$work/plain"
while read -r f; do
    [ -n "$f" ] || continue
    sudo zcat "$f" | sed -f "$work/redact.sed" | gzip >"$work/clean.gz"
    sudo tee "$f" <"$work/clean.gz" >/dev/null
done <"$work/gz"
[ -s "$work/old" ]
if sudo grep -rqF -f "$work/old" /var/log/ || sudo find -H /var/log -name '*.gz' -exec zgrep -qF -f "$work/old" {} \; -print | grep -q .; then
    echo "the leaked value is still under /var/log" >&2
    exit 1
fi

# 5. Rate-limit the login path in Nginx: 5 attempts a minute per address, a burst of 3.
sudo cp -p /etc/nginx/sites-available/impactlink "$work/site.before"
sudo sed -i '1i # Brute-force protection for the login path (SEC alert).\nlimit_req_zone $binary_remote_addr zone=login:10m rate=5r/m;\n' \
    /etc/nginx/sites-available/impactlink
sudo sed -i 's#^    location /api/ {#    location = /api/v1/auth/login {\n        limit_req zone=login burst=3 nodelay;\n        limit_req_status 429;\n        proxy_pass http://impactlink_api;\n        proxy_http_version 1.1;\n        proxy_set_header Connection "";\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n    }\n\n    location /api/ {#' \
    /etc/nginx/sites-available/impactlink
sudo nginx -t
sudo systemctl reload nginx
for _ in $(seq 8); do curl -s -o /dev/null -w '%{http_code} ' -X POST "https://$DOMAIN/api/v1/auth/login"; done; echo
curl -s -w ' %{http_code}\n' "https://$DOMAIN/api/v1/health"
