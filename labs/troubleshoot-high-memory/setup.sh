#!/bin/bash
# troubleshoot-high-memory setup (root): yesterday's release v1.0.1 added support diagnostics with
# three settings in .env, all harmless at their documented defaults. One of them (this session's
# switch) was set for a support case and never set back: the API now keeps a snapshot of
# LAB_RATE KB every second and never lets it go. The API is restarted with it, so the leak is
# young and plainly linear when the trainee arrives.
set -euo pipefail
: "${LAB_SWITCH:?}" "${LAB_RATE:?}" "${LAB_TICKET:?}" "${LAB_PID_SKIP:?}"
APP=/home/impactlink/app
DOMAIN=impactlink.solovedhelpinghands.org.za

# The release: a module, its start in server.js, the settings in .env.example, a changelog entry.
runuser -u impactlink -- bash -s <<SH
set -euo pipefail
cd $APP
git checkout -q v1.0.0 2>/dev/null || true
cat >src/diagnostics.js <<'JS'
'use strict';
// Support diagnostics (v1.0.1, OPS-$LAB_TICKET): a snapshot of the request state every second,
// kept for support to dump with SIGUSR2. Three settings, see .env.example; all off by default.
const config = require('./config');
const logger = require('./logger');

const SNAPSHOT_BYTES = $((LAB_RATE * 1024));
const CEILING_BYTES = 450 * 1024 * 1024;

function settings(env) {
  return {
    // Keep every snapshot (not only the last minute) until the process exits.
    capture: /^(1|on|true|yes)\$/i.test(String(env.DEBUG_CAPTURE || 'off')),
    // Seconds a memoised snapshot lives; 0 means it never expires.
    memoTtl: Number(env.RESPONSE_MEMO_TTL === undefined || env.RESPONSE_MEMO_TTL === '' ? 10 : env.RESPONSE_MEMO_TTL),
    // rolling keeps the last 10 samples; unbounded (or all, forever) keeps every one.
    history: String(env.METRICS_HISTORY || 'rolling').toLowerCase(),
  };
}

function start() {
  const s = settings(config.env);
  const kept = [];
  let held = 0;
  let last = 0;
  setInterval(() => {
    const now = Date.now();
    if (held < CEILING_BYTES) {
      const snapshot = { at: now, state: Buffer.alloc(SNAPSHOT_BYTES, now % 251) };
      kept.push(snapshot);
      held += SNAPSHOT_BYTES;
    }
    const keepAll = s.capture || s.memoTtl === 0 || ['unbounded', 'all', 'forever'].includes(s.history);
    if (!keepAll) {
      const horizon = Math.min(10, s.memoTtl > 0 ? s.memoTtl : 10);
      while (kept.length > horizon) held -= kept.shift().state.length;
    }
    if (now - last >= 15000 && kept.length > 20) {
      last = now;
      logger.warn('diagnostics holding snapshots', { held_mb: Math.round(held / 1048576), snapshots: kept.length });
    }
  }, 1000).unref();
  process.on('SIGUSR2', () => logger.info('diagnostics dump', { snapshots: kept.length, held_mb: Math.round(held / 1048576) }));
}

module.exports = { start, settings };
JS
printf "\nrequire('./src/diagnostics').start();\n" >>server.js
sed -i 's/"version": "1\.0\.0"/"version": "1.0.1"/' package.json
cat >>.env.example <<'ENV'
# Support diagnostics (v1.0.1). Leave at these values except while support is debugging:
# DEBUG_CAPTURE=on, RESPONSE_MEMO_TTL=0 or METRICS_HISTORY=unbounded keep every snapshot.
DEBUG_CAPTURE=off
RESPONSE_MEMO_TTL=10
METRICS_HISTORY=rolling
ENV
{ printf '# Changelog\n\n## 1.0.1\n\n- Support diagnostics (OPS-$LAB_TICKET): per-second request-state snapshots for\n  support cases, dumped to the app log with SIGUSR2. Settings in .env.example.\n\n'; sed '1{/^# Changelog/d}' CHANGELOG.md; } >CHANGELOG.md.new
mv CHANGELOG.md.new CHANGELOG.md
git add -A
git -c user.name='Thabo Mokoena' -c user.email='thabo@solovedhelpinghands.org.za' commit -q -m 'Release 1.0.1: support diagnostics (OPS-$LAB_TICKET)'
git -c user.name='Thabo Mokoena' -c user.email='thabo@solovedhelpinghands.org.za' tag -a v1.0.1 -m 'v1.0.1'
echo "\$(date -d '-1 day' +%Y-%m-%dT%H:%M:%S%:z) deploy v1.0.1 ok \$(git rev-parse --short HEAD)" >>~/.deploy-history
SH
grep -q "require('./src/diagnostics').start();" "$APP/server.js"

# .env: the three settings, two at their defaults, this session's switch as support left it.
capture=off ttl=10 history=rolling
case $LAB_SWITCH in
    DEBUG_CAPTURE=*) capture=${LAB_SWITCH#*=} ;;
    RESPONSE_MEMO_TTL=*) ttl=${LAB_SWITCH#*=} ;;
    METRICS_HISTORY=*) history=${LAB_SWITCH#*=} ;;
    *) echo "unknown switch $LAB_SWITCH" >&2; exit 2 ;;
esac
cat >>"$APP/.env" <<ENV
# Support diagnostics (v1.0.1); OPS-$LAB_TICKET support case
DEBUG_CAPTURE=$capture
RESPONSE_MEMO_TTL=$ttl
METRICS_HISTORY=$history
ENV

# Use up a session-dependent number of process ids, so the API's PID differs between sessions.
for _ in $(seq "$LAB_PID_SKIP"); do /bin/true; done
systemctl restart impactlink-api
for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
version=$(curl -s --max-time 5 "https://$DOMAIN/api/v1/health" | jq -r .version)
[ "$version" = 1.0.1 ] || { echo "the API does not run 1.0.1 after setup ($version)" >&2; exit 1; }
