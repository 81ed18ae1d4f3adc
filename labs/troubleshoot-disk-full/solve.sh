#!/bin/bash
# troubleshoot-disk-full reference solution, as impactlink: how full, where the space went, what
# the biggest item is and whether anything still writes to it; stop the writer, remove only that,
# then start what the full disk stopped, re-run the failed backup and verify through Nginx.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za

df -h /srv
sudo du -xh --max-depth=3 /srv 2>/dev/null | sort -h | tail -n 8
# The biggest single item where logs, backups and temporary files live (never the database).
biggest=$( (sudo du -xsb /srv/var/log/impactlink/* /srv/var/backups/impactlink/* /srv/var/tmp/* 2>/dev/null || true) |
    sort -n | tail -n 1 | cut -f2-)
[ -n "$biggest" ]
ls -ld "$biggest"
case $biggest in
    /srv/var/backups/impactlink/*)
        # Not a backup the script made (those are timestamped) and not what `latest` points at.
        [[ ${biggest##*/} =~ ^[0-9]{8}-[0-9]{6}- ]] && { echo "the biggest item is a current backup" >&2; exit 1; }
        ls -l /var/backups/impactlink/
        sudo rm -rf -- "$biggest"
        ;;
    *)
        # Whoever still writes to it would keep the space (and fill the disk again): stop them.
        for pid in $(lsof -t -- "$biggest" 2>/dev/null); do
            ps -o pid,user,etime,args -p "$pid"
            kill -TERM "$pid"
        done
        sleep 1
        sudo rm -f -- "$biggest"
        ;;
esac
df -h /srv

systemctl is-active --quiet postgresql || sudo systemctl start postgresql
sudo systemctl restart impactlink-api
/home/impactlink/scripts/backup.sh full | tail -n 3
for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq .
echo "ANSWER: culprit ${biggest##*/}"
