#!/bin/bash
# troubleshoot-high-cpu setup (root): a leftover one-off script, scheduled every minute by the
# crontab of its owner, spins on the CPU under a name that hides what it is. The first copy is
# started now, as cron would, with the session's seal on its standard input: it writes the seal
# out only when it is stopped with SIGTERM (a kill -9 leaves nothing), so the checks can tell how
# it was stopped. It is non-dumpable, so neither root nor its owner can read the seal out of it.
set -euo pipefail
: "${LAB_DIR:?}" "${LAB_TASK:?}" "${LAB_TICKET:?}" "${LAB_DISGUISE:?}" "${LAB_SEAL:?}" "${LAB_PID_SKIP:?}"
DOMAIN=impactlink.solovedhelpinghands.org.za
JOBS_LOG=/var/log/impactlink/jobs.log
script=$LAB_TASK-$LAB_TICKET.pl
case $LAB_DIR in
    /root/*) owner=root ;;
    *) owner=impactlink ;;
esac

install -d -o "$owner" -g "$owner" -m 750 "$LAB_DIR"
install -o impactlink -g adm -m 660 /dev/null "$JOBS_LOG"
cat >"$LAB_DIR/$script" <<PERL
#!/usr/bin/perl
# $LAB_TASK (OPS-$LAB_TICKET): one-off backfill for the year-end donor report.
# Scheduled from cron until it reports "done". It saves a checkpoint when asked to stop (SIGTERM),
# under the resume token the scheduler hands it on standard input, so the next run can continue.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use POSIX qw(strftime);

\$0 = '$LAB_DISGUISE';
my \$token = '';
if (!-t STDIN) { \$token = <STDIN> // ''; chomp \$token; }
# prctl(PR_SET_DUMPABLE, 0): no core dumps with donor data in them.
syscall(157, 4, 0, 0, 0, 0);
\$| = 1;
my \$started = time;
sub say_log { print strftime('%Y-%m-%dT%H:%M:%S', localtime), " $LAB_TASK\[\$\$]: @_\n" }
\$SIG{TERM} = sub {
    say_log(sprintf('SIGTERM after %d s: checkpoint %s saved, exiting', time - \$started, \$token || 'none'));
    exit 0;
};
say_log('started');
my (\$page, \$done) = (0, 0);
while (!\$done) {
    my \$sum = 0;
    \$sum += hex(substr(sha256_hex("donor:\$page:\$_"), 0, 4)) for 1 .. 2000;
    # The last page comes back short, and a short page is re-read instead of ending the run.
    \$page++ if \$sum % 7 == 8;
}
say_log('done');
PERL
chown "$owner:$owner" "$LAB_DIR/$script"
chmod 750 "$LAB_DIR/$script"

# The schedule. Root also keeps a weekly log rotation of its own, so its crontab is never empty.
line="* * * * * cd $LAB_DIR && flock -n /tmp/$LAB_TASK.lock perl $script >>$JOBS_LOG 2>&1"
{
    echo '# root on impactlink-prod'
    echo 'MAILTO=""'
    echo '30 3 * * 0 /usr/sbin/logrotate /etc/logrotate.conf >/dev/null 2>&1'
    if [ "$owner" = root ]; then echo "# OPS-$LAB_TICKET year-end backfill, remove when done"; echo "$line"; fi
} | crontab -u root -
if [ "$owner" = impactlink ]; then
    { crontab -u impactlink -l; echo "# OPS-$LAB_TICKET year-end backfill, remove when done"; echo "$line"; } | crontab -u impactlink -
fi

# Use up a session-dependent number of process ids, so the PID differs between sessions.
for _ in $(seq "$LAB_PID_SKIP"); do /bin/true; done

# The first run, started as cron starts it; nothing of the session in its environment.
printf '%s\n' "$LAB_SEAL" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TZ=Africa/Johannesburg \
    setsid -f runuser -u "$owner" -- /bin/sh -c \
    "cd $LAB_DIR && exec flock -n /tmp/$LAB_TASK.lock perl $script >>$JOBS_LOG 2>&1"
for _ in $(seq 100); do
    pgrep -x "${LAB_DISGUISE:0:15}" >/dev/null && break
    sleep 0.1
done
pgrep -x "${LAB_DISGUISE:0:15}" >/dev/null || { echo "the runaway did not start" >&2; exit 1; }

# Users keep browsing while it spins: the access logs show the slower answers.
for path in /api/v1/charities /api/v1/projects?limit=12 /api/v1/health /api/v1/charities?category=health; do
    curl -s -o /dev/null --max-time 10 "https://$DOMAIN$path" || true
done

# A service restarted by the trainee must stand out from the boot (checks allow 5 s of spread
# between the services' start times): on a fresh box, let the boot reach 12 s of age first.
for _ in $(seq 24); do
    [ "$(ps -o etimes= -p 1 | tr -d ' ')" -ge 12 ] && break
    sleep 0.5
done
