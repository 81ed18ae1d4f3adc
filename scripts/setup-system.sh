#!/usr/bin/env bash
# Install and start the system parts Ops Academy uses on Debian 12: the Docker engine (with the
# lab images), docker-compose (the production stack and its test), PostgreSQL server binaries for
# the test suite, and Chromium for browser tests.
# Usage: setup-system.sh [--optional]   (--optional: warn instead of failing, for `make run`)
set -uo pipefail
optional=0
[ "${1:-}" = "--optional" ] && optional=1
cd "$(dirname "$0")/.."

fail() {
  if [ "$optional" = 1 ]; then echo "setup: warning: $*" >&2; exit 0; fi
  echo "setup: error: $*" >&2; exit 1
}

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing ${need[*]}; install them with apt-get as root"
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || fail "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null || fail "apt-get install ${need[*]} failed"
fi

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || fail "the Docker engine is not running and only root can start it here"
  echo "setup: starting the Docker engine"
  (dockerd >/var/log/dockerd.log 2>&1 &)
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || fail "the Docker engine did not start (see /var/log/dockerd.log)"
fi

# Images are rebuilt only when their files changed; without a registry the base image is made
# locally with debootstrap.
ACADEMY_ENV="${ACADEMY_ENV:-development}" .venv/bin/academy images build || fail "building the lab images failed"
