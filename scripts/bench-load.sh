#!/usr/bin/env bash
# Run `academy bench load` against a production-like stack on this machine, then tear it down.
#
# The stack: a throwaway PostgreSQL under /tmp, `academy db upgrade`, gunicorn serving the pages
# (the Dockerfile's settings: gthread, 2 workers, 16 threads) on 127.0.0.1:8000, `academy
# sockets` serving the terminals' sockets on 127.0.0.1:8001, `academy worker` running the
# sandbox supervisor. Everything it starts is stopped by process id, every sandbox it made is
# destroyed and its folder removed, also when the run fails or is interrupted.
#
#   scripts/bench-load.sh                       # the defaults: 100 trainees, 50 terminals, ...
#   scripts/bench-load.sh --seconds 30 --starts 5
#
# Arguments go to `academy bench load` (which always gets --json here). Settings: any ACADEMY_*
# variable set by the caller is kept (e.g. ACADEMY_SANDBOX_POOL_SIZE); BENCH_WEB_PORT,
# BENCH_SOCKETS_PORT, BENCH_WEB_WORKERS, BENCH_WEB_THREADS; BENCH_KEEP=1 keeps the folder (logs,
# result.json); BENCH_PG_FAST=1 turns PostgreSQL's fsync off (not production-like);
# BENCH_CPU_GROUP=1 runs the platform's processes in a CPU cgroup of their own (cgroup v1), and
# the engine's (dockerd, containerd, the shims) in another, as a service manager's units hold
# services, instead of the root group where each of their threads weighs as much as all the
# sandbox containers together (see the report's "cpu" figures); the engine is put back after.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
WEB_PORT="${BENCH_WEB_PORT:-8000}"
SOCKETS_PORT="${BENCH_SOCKETS_PORT:-8001}"
WEB_WORKERS="${BENCH_WEB_WORKERS:-2}"
WEB_THREADS="${BENCH_WEB_THREADS:-16}"

say() { printf 'bench-load: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$BIN/academy" ] || die "no $BIN/academy: run 'make deps' first"
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries (set PG_BIN or apt-get install postgresql)"
command -v curl >/dev/null || die "curl is needed to wait for the servers"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$WEB_PORT" "$SOCKETS_PORT"; do
  if listening "$port"; then die "something already listens on 127.0.0.1:$port"; fi
done

WORK="$(mktemp -d /tmp/academy-bench-load.XXXXXX)"
chmod 755 "$WORK"
PG_DATA="$WORK/pg"
PG_PORT="$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PIDS=()
PG_STARTED=""
SCOPE=""
BENCH_PID=""
SAMPLER_PID=""
CPU_GROUP=""
ENGINE_GROUP=""

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_q() {
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d academy -Atqc "$1"
}

tear_down() {
  local code=$?
  trap - EXIT INT TERM
  set +e  # every step runs, whatever the one before it did
  say "tearing down"
  # An interrupted bench first, while the servers are up: it finishes its labs and removes
  # its trainees on SIGTERM.
  if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 1; done
  fi
  [ -z "$SAMPLER_PID" ] || kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  # Pages and sockets first (no new work), the worker last: it finishes its running jobs.
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_STARTED" ]; then
    # Whatever is still alive (the warm pool, a start cut short) goes; then reconcile twice so
    # containers without a live row (a start the worker left midway) go too.
    psql_q "UPDATE sandboxes SET status = 'expired' WHERE status NOT IN ('destroyed', 'failed')" \
      >/dev/null 2>&1 || true
    "$BIN/academy" sandboxes prune --pool >>"$WORK/teardown.log" 2>&1 || true
    "$BIN/academy" sandboxes prune --pool >>"$WORK/teardown.log" 2>&1 || true
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  # Last resort (the platform could not clean up, e.g. it failed to load): every container,
  # network and volume labelled with this throwaway database's scope is this run's own.
  if [ -n "$SCOPE" ] && command -v docker >/dev/null; then
    local found
    found="$(docker ps -aq --filter "label=academy.scope=$SCOPE" 2>/dev/null || true)"
    if [ -n "$found" ]; then
      say "removing $(echo "$found" | wc -l) containers the platform left behind"
      # shellcheck disable=SC2086
      docker rm -f $found >/dev/null 2>&1 || true
    fi
    found="$(docker network ls -q --filter "label=academy.scope=$SCOPE" 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$found" ] || docker network rm $found >/dev/null 2>&1 || true
    found="$(docker volume ls -q --filter "label=academy.scope=$SCOPE" 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$found" ] || docker volume rm $found >/dev/null 2>&1 || true
  fi
  if [ -n "$SCOPE" ] && command -v docker >/dev/null; then
    say "containers of this run still on the engine: $(docker ps -aq --filter "label=academy.scope=$SCOPE" 2>/dev/null | wc -l)"
  fi
  if command -v losetup >/dev/null; then
    { losetup -a 2>/dev/null | grep -F "($WORK/" | cut -d: -f1 || true; } | while read -r loop; do
      losetup -d "$loop" 2>/dev/null || true
    done
  fi
  if [ -n "$ENGINE_GROUP" ]; then
    while read -r pid; do
      echo "$pid" >/sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true
    done <"$ENGINE_GROUP/cgroup.procs"
    for _ in $(seq 1 20); do rmdir "$ENGINE_GROUP" 2>/dev/null && break; sleep 0.5; done
  fi
  if [ -n "$CPU_GROUP" ]; then
    echo $$ >/sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null
    for _ in $(seq 1 20); do rmdir "$CPU_GROUP" 2>/dev/null && break; sleep 0.5; done
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    say "kept $WORK (logs, result.json)"
  else
    rm -rf "$WORK"
  fi
  exit "$code"
}
trap tear_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${BENCH_CPU_GROUP:-0}" = 1 ]; then
  [ -w /sys/fs/cgroup/cpu/cgroup.procs ] || die "BENCH_CPU_GROUP needs cgroup v1's cpu controller, as root"
  CPU_GROUP="/sys/fs/cgroup/cpu/academy-bench-${WORK##*.}"
  mkdir "$CPU_GROUP"
  echo $$ >"$CPU_GROUP/cgroup.procs"  # everything started from here on runs in it
  say "platform processes run in the CPU group $CPU_GROUP ($(cat "$CPU_GROUP/cpu.shares") shares)"
  # The engine too, as its service units hold it: dockerd, containerd and the shims containerd
  # starts for every container (so new ones follow). Left in the root group, each of their
  # threads weighs as much as every sandbox together, and the 66 shims of 33 sandboxes carry
  # every terminal's output.
  ENGINE_GROUP="/sys/fs/cgroup/cpu/engine-bench-${WORK##*.}"
  mkdir "$ENGINE_GROUP"
  for pid in $(pgrep -x dockerd) $(pgrep -x containerd) $(pgrep -f containerd-shim); do
    echo "$pid" >"$ENGINE_GROUP/cgroup.procs" 2>/dev/null || true
  done
  say "the engine's processes run in the CPU group $ENGINE_GROUP ($(wc -l <"$ENGINE_GROUP/cgroup.procs") processes)"
fi
say "PostgreSQL on 127.0.0.1:$PG_PORT, files in $WORK"
mkdir -p "$PG_DATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA"
as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1
PG_OPTIONS="-p $PG_PORT -h 127.0.0.1 -k $PG_DATA -c max_connections=200"
if [ "${BENCH_PG_FAST:-0}" = 1 ]; then
  PG_OPTIONS="$PG_OPTIONS -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -o "$PG_OPTIONS" -w start >/dev/null
PG_STARTED=1
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres academy

export ACADEMY_ENV=production
export ACADEMY_SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')"
export ACADEMY_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/academy"
export ACADEMY_BASE_URL="http://127.0.0.1:$WEB_PORT"
export ACADEMY_SOCKETS_URL="ws://127.0.0.1:$SOCKETS_PORT"
export ACADEMY_INSTANCE_DIR="$WORK/instance"
export ACADEMY_SUPERVISOR_IN_WEB=false
# Budgeted by limit (the default), this 24 GB machine holds 26 hosts (768 MB each plus a 96 MB
# probe): fewer than the bench's 33 sessions. A cohort's operator overcommits, as the admin page
# explains; override to measure the default.
export ACADEMY_SANDBOX_MAX_HOSTS="${ACADEMY_SANDBOX_MAX_HOSTS:-80}"
mkdir -p "$ACADEMY_INSTANCE_DIR"
# The label on every container of this platform (app.sandboxes.engine.scope_for).
SCOPE="$("$BIN/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:12])' \
  "postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/academy")"

cd "$ROOT"
"$BIN/academy" db upgrade >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "migrations failed"; }

"$BIN/gunicorn" --bind "127.0.0.1:$WEB_PORT" --worker-class gthread --workers "$WEB_WORKERS" \
  --threads "$WEB_THREADS" --access-logfile "$WORK/access.log" 'app:create_app()' \
  >"$WORK/web.log" 2>&1 &
PIDS+=("$!")
"$BIN/academy" sockets --host 127.0.0.1 --port "$SOCKETS_PORT" >"$WORK/sockets.log" 2>&1 &
PIDS+=("$!")
"$BIN/academy" worker >"$WORK/worker.log" 2>&1 &
PIDS+=("$!")

wait_http() {
  for _ in $(seq 1 120); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; then return 0; fi
    sleep 0.5
  done
  return 1
}
wait_http "http://127.0.0.1:$WEB_PORT/login" || { tail -n 30 "$WORK/web.log" >&2; die "gunicorn did not come up"; }
wait_http "http://127.0.0.1:$SOCKETS_PORT/login" || { tail -n 30 "$WORK/sockets.log" >&2; die "the sockets process did not come up"; }
for _ in $(seq 1 60); do grep -q "supervisor running" "$WORK/worker.log" && break; sleep 0.5; done
grep -q "supervisor running" "$WORK/worker.log" || { tail -n 30 "$WORK/worker.log" >&2; die "the worker did not start"; }
say "web, sockets and worker are up"

# A platform in use has its warm pool filled: wait (at most 3 minutes) until nothing is starting.
for _ in $(seq 1 180); do
  busy="$(psql_q "SELECT count(*) FROM sandboxes WHERE status IN ('requested', 'starting')")"
  warm="$(psql_q "SELECT count(*) FROM sandboxes WHERE status = 'warm'")"
  if [ "$busy" = 0 ] && { [ "$warm" != 0 ] || [ "${ACADEMY_SANDBOX_POOL_SIZE:-2}" = 0 ]; }; then break; fi
  sleep 1
done
say "warm pool: $warm sandboxes"

"$BIN/academy" bench load --json "$@" >"$WORK/result.json" 2>"$WORK/bench.log" &
BENCH_PID=$!
# The simulated browsers are not part of the platform: they stay where they would be elsewhere.
[ -z "$CPU_GROUP" ] || echo "$BENCH_PID" >/sys/fs/cgroup/cpu/cgroup.procs
tail -n +1 -f --pid="$BENCH_PID" "$WORK/bench.log" >&2 &
# Where the CPU goes meanwhile: each process tree, this run's sandboxes, the whole machine.
"$BIN/python" -m app.loadbench.cpu record "$WORK/cpu.jsonl" --every 3 --scope "$SCOPE" \
  --group "web=${PIDS[0]}" --group "sockets=${PIDS[1]}" --group "worker=${PIDS[2]}" \
  --group "postgres=$(head -n 1 "$PG_DATA/postmaster.pid")" --group "bench=$BENCH_PID" \
  --group "dockerd=$(cat /var/run/docker.pid 2>/dev/null || echo 0)" &
SAMPLER_PID=$!
set +e
wait "$BENCH_PID"
code=$?
set -e
[ "$code" = 0 ] || say "academy bench load exited with status $code"
kill -TERM "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
[ -s "$WORK/result.json" ] || exit "$code"
# One object: the bench's figures, plus the CPU used per process during its measured window.
"$BIN/python" - "$WORK/result.json" "$WORK/cpu.jsonl" <<'PY' || cat "$WORK/result.json"
import json, sys
from app.loadbench.cpu import summarise
report = json.load(open(sys.argv[1]))
samples = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
window = report.get("window") or {}
report["cpu"] = summarise(samples, window.get("started"), window.get("ended"))
print(json.dumps(report))
PY
exit "$code"
