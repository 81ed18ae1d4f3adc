#!/bin/bash
# peak-load setup (root): campaign traffic against the API, and one batch job from the ops
# crontab that saturates this session's resource (CPU, memory or disk). The job is a single
# process named after itself; cron restarts it every minute while its crontab line exists.
set -euo pipefail
: "${LAB_RESOURCE:?}" "${LAB_JOB:?}" "${LAB_MEMORY_MB:?}" "${LAB_PID_SKIP:?}"
HOME_DIR=/home/impactlink
JOBS=$HOME_DIR/jobs
DOMAIN=impactlink.solovedhelpinghands.org.za

install -d -o impactlink -g impactlink "$JOBS"
cat >"$JOBS/$LAB_JOB.js" <<JS
'use strict';
// $LAB_JOB: nightly batch job, moved to business hours "temporarily" (see ops channel).
const crypto = require('crypto');
const fs = require('fs');
process.title = '$LAB_JOB';
fs.writeFileSync('$JOBS/$LAB_JOB.pid', String(process.pid) + '\n');
const log = (m) => fs.appendFileSync('/var/log/impactlink/jobs.log', new Date().toISOString() + ' $LAB_JOB: ' + m + '\n');
const mode = '$LAB_RESOURCE';
log('started (pid ' + process.pid + ')');

if (mode === 'cpu') {
  // Recomputes every receipt's checksum in a tight loop: one core, flat out.
  let batch = 0;
  const work = () => {
    const until = Date.now() + 200;
    while (Date.now() < until) crypto.createHash('sha256').update(String(Math.random())).digest('hex');
    if (++batch % 50 === 0) log('batch ' + batch + ' done');
    setImmediate(work);
  };
  work();
} else if (mode === 'memory') {
  // Loads the whole export into memory before writing anything. On a memory-backed /srv the
  // seed already counts as memory, so it takes less to reach the same pressure.
  const tmpfs = fs.statfsSync('/srv').type === 0x01021994;
  const target = ($LAB_MEMORY_MB - (tmpfs ? 120 : 0)) * 1024 * 1024;
  const chunks = [];
  let held = 0;
  const grow = setInterval(() => {
    if (held >= target) {
      clearInterval(grow);
      log('export buffered: ' + Math.round(held / 1048576) + ' MB');
      setInterval(() => { for (const c of chunks) c[Math.floor(Math.random() * c.length)] ^= 1; }, 1000);
      return;
    }
    const chunk = Buffer.allocUnsafe(16 * 1024 * 1024).fill(chunks.length & 0xff);
    chunks.push(chunk);
    held += chunk.length;
  }, 100);
} else {
  // A debug log left on: it writes until the disk is nearly full, then keeps trickling.
  const file = '/var/log/impactlink/$LAB_JOB-debug.log';
  const line = 'DEBUG ' + '$LAB_JOB'.padEnd(16) + ' row dump '.repeat(40) + '\n';
  const block = Buffer.from(line.repeat(Math.ceil(4 * 1024 * 1024 / line.length)));
  const fd = fs.openSync(file, 'a');
  const st = fs.statfsSync('/srv');
  // On a memory-backed /srv (no loop device on the host) stay small: it would count as memory.
  const tmpfs = st.type === 0x01021994;
  const budget = tmpfs ? 200 * 1024 * 1024 : Infinity;
  let written = 0;
  const fill = () => {
    const s = fs.statfsSync('/srv');
    const used = 1 - s.bavail / s.blocks;
    if (used < 0.92 && written < budget) {
      fs.writeSync(fd, block);
      written += block.length;
      setImmediate(fill);
    } else {
      fs.writeSync(fd, line);
      setTimeout(fill, 1000);
    }
  };
  fill();
}
setInterval(() => {}, 60000);
JS
chown impactlink:impactlink "$JOBS/$LAB_JOB.js"

# Cron runs it every minute; flock keeps it to one instance.
cron_line="* * * * * cd $JOBS && flock -n /tmp/$LAB_JOB.lock node $LAB_JOB.js >>/var/log/impactlink/jobs.log 2>&1"
{ crontab -u impactlink -l; echo "# $LAB_JOB (reports team, ticket OPS-$((LAB_PID_SKIP + 3000)))"; echo "$cron_line"; } |
    crontab -u impactlink -

# Use up a session-dependent number of process ids, so the job's PID differs between sessions.
for _ in $(seq "$LAB_PID_SKIP"); do /bin/true; done

install -o impactlink -g adm -m 640 /dev/null /var/log/impactlink/jobs.log
(cd "$JOBS" && setsid runuser -u impactlink -- flock -n "/tmp/$LAB_JOB.lock" node "$LAB_JOB.js" \
    </dev/null >>/var/log/impactlink/jobs.log 2>&1 &)

# Giving Tuesday campaign traffic: a few requests a second across the public endpoints for 90 min.
cat >/run/campaign-traffic.sh <<TRAFFIC
#!/bin/bash
end=\$(( \$(date +%s) + 5400 ))
paths=(/api/v1/charities /api/v1/projects?limit=12 /api/v1/charities?category=health /api/v1/health
       /api/v1/donations?limit=5 /api/v1/charities?category=education)
while [ "\$(date +%s)" -lt "\$end" ]; do
    curl -s -o /dev/null --max-time 10 "https://$DOMAIN\${paths[RANDOM % \${#paths[@]}]}"
    sleep 0.2
done
TRAFFIC
chmod 700 /run/campaign-traffic.sh
for _ in 1 2; do setsid /run/campaign-traffic.sh </dev/null >/dev/null 2>&1 & done

# Ready when the job has reached its peak, so the trainee's first look shows the problem.
for _ in $(seq 120); do
    pid=$(cat "$JOBS/$LAB_JOB.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
        case $LAB_RESOURCE in
            cpu) break ;;
            memory) grep -q "$LAB_JOB: export buffered" /var/log/impactlink/jobs.log && break ;;
            disk)
                [ "$(df -P /srv | awk 'NR == 2 {print int($5)}')" -ge 90 ] && break
                # A memory-backed /srv caps the job at 200 MB instead (see the job).
                [ "$(stat -f -c %T /srv)" = tmpfs ] &&
                    [ "$(stat -c %s "/var/log/impactlink/$LAB_JOB-debug.log" 2>/dev/null || echo 0)" -ge $((190 * 1048576)) ] && break
                ;;
        esac
    fi
    sleep 0.5
done
