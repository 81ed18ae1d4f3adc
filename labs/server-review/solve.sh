#!/bin/bash
# server-review reference solution, as impactlink: services, versions, the served certificate
# (read, then renewed and loaded), and the domain's records on ns1.
set -euo pipefail
D=impactlink.solovedhelpinghands.org.za
hostname; uname -r; nproc; free -h; df -h / /var/lib/postgresql /var/backups
sudo systemctl status impactlink-api postgresql redis-server nginx cron --no-pager | grep -E '●|Active:' || true
for unit in postgresql redis-server impactlink-api nginx cron; do
    if ! systemctl is-active --quiet "$unit"; then
        echo "$unit is not running: starting it"
        sudo systemctl start "$unit"
    fi
done
for _ in $(seq 25); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$D/api/v1/health")" = 200 ] && break
    sleep 0.4
done

echo "ANSWER: node-version $(node --version)"
echo "ANSWER: postgres-version $(psql --version | awk '{print $3}')"

served() { openssl s_client -connect "$D:443" -servername "$D" </dev/null 2>/dev/null | openssl x509 -noout "$@"; }
served -issuer -subject -dates
end=$(served -enddate | cut -d= -f2)
days=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
echo "days left: $days"
echo "ANSWER: days-left $days"
served -checkend 2592000 || echo "renew now"
sudo impactlink-issue-cert
sudo nginx -t
sudo systemctl reload nginx
sleep 1
served -dates

dig @ns1 "$D" A +noall +answer
read -r _ ttl _ _ address < <(dig @ns1 "$D" A +noall +answer | grep -w A | head -n 1)
echo "ANSWER: a-record $address"
echo "ANSWER: a-ttl $ttl"
txt=$(dig @ns1 "$D" TXT +short | tr -d '"' | sed -n 's/^impactlink-site-verification=//p')
echo "ANSWER: site-verification $txt"
getent hosts "$D"
