#!/bin/bash
# troubleshoot-disk-full setup (root): a current backup exists, then one thing fills /srv to the
# last block, chosen per session by LAB_CULPRIT, which is also the root-cause answer: a log a
# forgotten debug tracer keeps writing (NAME.log), a directory of old backup copies beside the real
# backups (no dot), or a big file left in /var/tmp. The API then dies on its next log write and
# the nightly backup fails. Big files are allocated with fallocate (no data written), so the setup
# stays fast; what a trainee reads of them (head, tail) is real text.
set -euo pipefail
: "${LAB_CULPRIT:?}"
# Daemons started below (the tracer, the API's supervisor) must not inherit the session's values.
culprit=$LAB_CULPRIT
unset LAB_CULPRIT LAB_SESSION LAB_HOST
DOMAIN=impactlink.solovedhelpinghands.org.za
as_impactlink() { runuser -u impactlink -- env HOME=/home/impactlink "$@"; }
avail() { df -B1 --output=avail /srv | tail -n 1 | tr -d ' '; }

# Filling a tmpfs /srv would fill the sandbox's memory instead of a disk: this lab needs the
# loop-mounted ext4 disk the platform gives hosts where it can.
if [ "$(stat -f -c %T /srv)" = tmpfs ]; then
    echo "troubleshoot-disk-full needs a disk-backed /srv; this sandbox's /srv is a tmpfs" >&2
    exit 1
fi

for path in /api/v1/health /api/v1/charities /api/v1/projects?limit=5 /api/v1/charities?category=health; do
    curl -s -o /dev/null "https://$DOMAIN$path"
done
# Last night's backup, the one that must survive the clean-up.
as_impactlink /home/impactlink/scripts/backup.sh full >/dev/null

case $culprit in
    *.log)
        # A request tracer a developer started while debugging and never stopped.
        log=/var/log/impactlink/$culprit
        tool=/home/impactlink/tools/${culprit%.log}.js
        install -d -o impactlink -g impactlink -m 755 /home/impactlink/tools
        install -o impactlink -g adm -m 640 /dev/null "$log"
        cat >"$tool" <<JS
'use strict';
// Debug tracer: dumps every request the API logged, in full, to $log.
// Start: nohup node tools/${culprit%.log}.js &   Stop it when done: it never rotates its file.
const fs = require('fs');
const fd = fs.openSync('$log', 'a');
const paths = ['/api/v1/charities', '/api/v1/projects', '/api/v1/donations', '/api/v1/health', '/api/v1/users'];
let n = 0;
function line() {
  n += 1;
  const path = paths[n % paths.length];
  return JSON.stringify({ t: new Date().toISOString(), level: 'debug', seq: n, path,
    headers: { 'user-agent': 'Mozilla/5.0 ImpactLink-Web/2.3', 'x-forwarded-for': '10.0.' + (n % 250) + '.' + (n % 200) },
    body: 'x'.repeat(120 + (n % 64)) }) + '\n';
}
setInterval(() => {
  let chunk = '';
  for (let i = 0; i < 40; i++) chunk += line();
  try { fs.writeSync(fd, chunk); } catch (err) { /* disk full: try again next time */ }
}, 50);
JS
        chown impactlink:impactlink "$tool"
        # Daemonised as impactlink, so no shell of this setup stays behind as its parent.
        start-stop-daemon --start --quiet --background --chuid impactlink:impactlink --chdir /home/impactlink \
            --output /dev/null --exec /usr/bin/node -- "tools/${culprit%.log}.js"
        for _ in $(seq 100); do [ -s "$log" ] && break; sleep 0.1; done
        sleep 1
        sample=$(tail -n 1 "$log")
        size=$(stat -c %s "$log")
        fallocate -l $((size + $(avail) - 1048576)) "$log" || true
        big=$log
        # The tracer writes the last free blocks with its own lines.
        for _ in $(seq 30); do [ "$(avail)" -lt 65536 ] && break; sleep 0.1; done
        ;;
    *.*)
        # An export left in /var/tmp: a real head, then the bulk.
        big=/var/tmp/$culprit
        case $culprit in
            *.csv) printf 'id,created_at,amount,currency,payment_status,charity_id,donor_email\n' >"$big"
                   runuser -u postgres -- psql -X -q -At -F, -d impactlink_prod \
                       -c "SELECT d.id, d.created_at, d.amount, 'ZAR', d.payment_status, d.charity_id, 'donor' || (row_number() OVER ()) || '@example.org' FROM donations d LIMIT 2000" >>"$big" ;;
            *.sql | *.dump) printf -- '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = '"'"'UTF8'"'"';\n' >"$big" ;;
            *) printf '%s export %s\n' "$culprit" "$(date -d '-9 days' '+%F %T')" >"$big" ;;
        esac
        chown impactlink:impactlink "$big"
        touch -d '-9 days' "$big"
        fallocate -l $(($(stat -c %s "$big") + $(avail) - 1048576)) "$big" || true
        ;;
    *)
        # Copies of old nightly dumps "kept just in case", beside the real backups.
        dir=/var/backups/impactlink/$culprit
        install -d -o impactlink -g impactlink -m 750 "$dir"
        share=$(( $(avail) / 7 ))
        for month in 03 04 05 06 07 08; do
            big=$dir/impactlink_prod-2026${month}01.dump
            fallocate -l "$share" "$big"
            chown impactlink:impactlink "$big"
            touch -d "2026-$month-01 02:00" "$big"
        done
        big=$dir/impactlink_prod-20260801.dump
        fallocate -l $(($(stat -c %s "$big") + $(avail) - 1048576)) "$big" || true
        ;;
esac
# The last blocks: for a log, real lines; for the rest, more of the same bulk.
if [[ $culprit == *.log ]]; then
    yes "$sample" 2>/dev/null >>"$big" || true
else
    cat /dev/zero 2>/dev/null >>"$big" || true
    # Old copies look old, and an export looks as old as the day it was left there.
    case $culprit in
        *.*) touch -d '-9 days' "$big" ;;
        *) touch -d '2026-08-01 02:00' "$big" "$(dirname "$big")" ;;
    esac
fi
sync -f /srv

# The API dies on its next log write; users and the monitor keep calling meanwhile.
for _ in $(seq 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/charities")
    [ "$code" = 200 ] || break
done
as_impactlink /home/impactlink/scripts/backup.sh full >/dev/null 2>&1 || true
as_impactlink /home/impactlink/scripts/health-check.sh --quiet --notify >/dev/null 2>&1 || true
code=$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")
[ "$code" != 200 ] || { echo "the API still answers 200 on a full disk" >&2; exit 1; }
