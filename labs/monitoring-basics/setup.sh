#!/bin/bash
# monitoring-basics setup (root): a morning after. Yesterday's Nginx log (already rotated) holds a
# burst of LAB_BURST_COUNT 502s that started at LAB_BURST_HOUR:LAB_BURST_MINUTE and one client,
# LAB_NET.LAB_LAST_OCTET, far busier than the rest; a batch job (LAB_JOB) sits on LAB_JOB_MB MB of
# memory; the certificate has LAB_CERT_DAYS days left and the newest backup is LAB_BACKUP_HOURS
# hours old; and every two minutes a cache job creates LAB_FILES files on /srv for 40 seconds.
set -euo pipefail
: "${LAB_BURST_HOUR:?}" "${LAB_BURST_MINUTE:?}" "${LAB_BURST_COUNT:?}" "${LAB_NET:?}" "${LAB_LAST_OCTET:?}"
: "${LAB_JOB:?}" "${LAB_JOB_MB:?}" "${LAB_CERT_DAYS:?}" "${LAB_BACKUP_HOURS:?}" "${LAB_FILES:?}"

# --- yesterday's access log, as logrotate left it (dateext, newest rotated file uncompressed) ---
day=$(date -d yesterday +%d/%b/%Y)
stamp=$(date -d yesterday +%Y%m%d)
offset=$(date +%z)
awk -v day="$day" -v tz="$offset" -v bh="$LAB_BURST_HOUR" -v bm="$LAB_BURST_MINUTE" -v bn="$LAB_BURST_COUNT" \
    -v busy="$LAB_NET.$LAB_LAST_OCTET" -v seed="$RANDOM$RANDOM" '
    function pick(a, n) { return a[int(rand() * n) + 1] }
    function line(t, ip, req, status, bytes, ua, rt, urt) {
        printf "%05d\t%s - - [%s:%02d:%02d:%02d %s] \"%s HTTP/2.0\" %d %d \"-\" \"%s\" rt=%.3f urt=%s\n",
            t, ip, day, int(t / 3600), int(t % 3600 / 60), t % 60, tz, req, status, bytes, ua, rt, urt
    }
    BEGIN {
        srand(seed)
        n = split("GET /api/v1/charities|GET /api/v1/charities?page=2|GET /api/v1/projects|GET /api/v1/projects?page=3|GET /api/v1/charities?category=health|GET /api/v1/health|GET /api/v1/charities?category=education|GET /", paths, "|")
        m = split("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0|Mozilla/5.0 (iPhone; CPU iPhone OS 17_1) Safari/604.1|Mozilla/5.0 (Linux; Android 14) Chrome/119.0|UptimeRobot/2.0", agents, "|")
        # Ordinary visitors from a few dozen addresses, one of them much busier than the rest.
        for (i = 1; i <= 40; i++) ips[i] = sprintf("%d.%d.%d.%d", pick2(), int(rand() * 250) + 1, int(rand() * 250) + 1, int(rand() * 250) + 2)
        start = (bh * 60 + bm) * 60
        for (t = 0; t < 86400; t += 40 + int(rand() * 60)) {
            if (t >= start && t < start + 150) continue
            line(t, ips[int(rand() * 40) + 1], pick(paths, n), 200, 900 + int(rand() * 4000), pick(agents, m), rand() * 0.3, sprintf("%.3f", rand() * 0.25))
        }
        for (t = 0; t < 86400; t += 300) line(t, "127.0.0.1", "GET /api/v1/health", 200, 118, "curl/7.88.1", 0.012, "0.010")
        # A small page that happens to weigh 502 bytes: grep " 502 " counts these too.
        for (k = 0; k < 3 + int(rand() * 6); k++) line(int(rand() * 86400), ips[int(rand() * 40) + 1], "GET /api/v1/projects?limit=1", 200, 502, pick(agents, m), 0.05, "0.040")
        for (k = 0; k < 380 + int(rand() * 200); k++)
            line(int(rand() * 86400), busy, pick(paths, n), 200, 900 + int(rand() * 4000), "python-requests/2.31.0", rand() * 0.2, sprintf("%.3f", rand() * 0.15))
        # The API was down: every request in the window got 502 from Nginx, first one at the minute.
        for (k = 0; k < bn; k++) line(start + int(k * 140 / bn), ips[int(rand() * 40) + 1], pick(paths, n), 502, 157, pick(agents, m), 0.001, "0.000")
    }
    function pick2() { return pick(firsts, split("41 102 105 154 196 197", firsts, " ")) }
' | sort -s -n -k1,1 | cut -f2- >/var/log/nginx/access.log.1
chown www-data:adm /var/log/nginx/access.log.1
chmod 640 /var/log/nginx/access.log.1
touch -d "$(date -d 'today 00:00') " /var/log/nginx/access.log.1
[ "$(awk '$9 == 502' /var/log/nginx/access.log.1 | wc -l)" = "$LAB_BURST_COUNT" ]

# --- a batch job holding memory ---------------------------------------------------------------
setsid nohup setpriv --reuid=impactlink --regid=impactlink --init-groups perl -e '$0 = shift; my $mb = shift; my $x = "r" x ($mb * 1048576); sleep 86400' \
    "$LAB_JOB" "$LAB_JOB_MB" >/dev/null 2>&1 </dev/null &

# --- what health-check.sh will warn about -------------------------------------------------------
# The certificate Nginx serves has LAB_CERT_DAYS days left. Someone then issued a new file but
# never reloaded Nginx, so the file on disk (and /etc/impactlink/cert-expiry) says 90 days.
impactlink-issue-cert --days "$LAB_CERT_DAYS" >/dev/null
systemctl reload nginx
sleep 1
impactlink-issue-cert --days 90 >/dev/null
# The newest database backup ran LAB_BACKUP_HOURS hours ago (nothing since: the job failed).
runuser -u impactlink -- /home/impactlink/scripts/backup.sh database --label nightly >/dev/null
made=$(ls -d /var/backups/impactlink/*-database-nightly | tail -n 1)
when=$(date -d "-$LAB_BACKUP_HOURS hours -10 minutes" '+%Y-%m-%d %H:%M:%S')
dir=/var/backups/impactlink/$(date -d "$when" +%Y%m%d-%H%M%S)-database-nightly
mv "$made" "$dir"
ln -sfn "$(basename "$dir")" /var/backups/impactlink/latest
ln -sfn "$(basename "$dir")" /var/backups/impactlink/latest-database
find "$dir" -exec touch -h -d "$when" {} +

# --- the cache job: every two minutes, LAB_FILES small files for 40 seconds ----------------------
install -d -o impactlink -g impactlink -m 750 /var/tmp/thumb-cache
# The count reaches the job on its standard input only, so nothing on disk or in ps says it.
printf '%s\n' "$LAB_FILES" | setsid nohup setpriv --reuid=impactlink --regid=impactlink --init-groups bash -c 'read -r n; exec </dev/null
    while :; do
        mkdir -p /var/tmp/thumb-cache/run && (cd /var/tmp/thumb-cache/run && seq -f "t%05g.webp" 1 "$n" | xargs touch)
        sleep 40
        rm -rf /var/tmp/thumb-cache/run
        sleep 80
    done' thumb-cache-refresh >/dev/null 2>&1 &
sleep 1
pgrep -f "^$LAB_JOB" >/dev/null
