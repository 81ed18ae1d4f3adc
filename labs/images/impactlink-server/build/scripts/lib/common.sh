# shellcheck shell=bash
# Shared by the ImpactLink ops scripts (sourced, not run).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
APP_DIR=/home/impactlink/app
ENV_FILE=$APP_DIR/.env
SCRIPTS_DIR=/home/impactlink/scripts
LOG_DIR=/var/log/impactlink
HISTORY_FILE=/home/impactlink/.deploy-history
DOMAIN=impactlink.solovedhelpinghands.org.za
HEALTH_URL=https://$DOMAIN/api/v1/health
SCRIPT_LOG=${SCRIPT_LOG:-}

# The domain should resolve to 127.0.0.1 (/etc/hosts). If the sandbox lost that entry, still
# reach Nginx on 127.0.0.1 with the right name, and say so (health-check.sh reports it too).
CURL_RESOLVE=()
if ! getent -s files ahostsv4 "$DOMAIN" >/dev/null 2>&1; then
    CURL_RESOLVE=(--resolve "$DOMAIN:443:127.0.0.1")
fi

env_value() { sed -n "s/^$1=//p" "$ENV_FILE" 2>/dev/null | tail -n 1; }

_log() { [ -n "$SCRIPT_LOG" ] && echo "$*" >>"$SCRIPT_LOG" 2>/dev/null; return 0; }
info() { local m; m="[$(date '+%F %T')] $*"; echo "$m"; _log "$m"; }
warn() { local m; m="[$(date '+%F %T')] WARNING: $*"; echo "$m" >&2; _log "$m"; }

# Loud, impossible-to-miss message on stderr (and in the script log).
banner() {
    local line='##############################################################################' l
    { echo; echo "$line"; for l in "$@"; do echo "##  $l"; done; echo "$line"; echo; } | tee -a "${SCRIPT_LOG:-/dev/null}" >&2
}

# Run a command, copying its output to the script log; keeps the command's exit status.
run() {
    "$@" 2>&1 | tee -a "${SCRIPT_LOG:-/dev/null}"
    return "${PIPESTATUS[0]}"
}

# The app, its git repository and .pgpass belong to impactlink: run as that user.
become_impactlink() {
    if [ "$(id -un)" != impactlink ]; then
        exec sudo -u impactlink -H -- "$0" "$@"
    fi
}

restart_api() {
    if [ "$(id -u)" = 0 ]; then systemctl restart impactlink-api; else sudo -n systemctl restart impactlink-api; fi
}

current_release() {
    git -C "$APP_DIR" describe --tags --exact-match HEAD 2>/dev/null || git -C "$APP_DIR" rev-parse --short HEAD
}

# "npm ci" equivalent for an offline server: the modules come from Debian packages
# (/usr/share/nodejs), so verify every dependency in package.json resolves.
check_dependencies() {
    (cd "$APP_DIR" && node -e '
        const deps = Object.keys(require("./package.json").dependencies || {});
        const missing = [];
        for (const name of deps) {
          try {
            const version = require(`${name}/package.json`).version;
            console.log(`  ${name} ${version} (${require.resolve(name).split("/" + name + "/")[0]})`);
          } catch (err) { missing.push(name); }
        }
        if (missing.length) { console.error(`missing dependencies: ${missing.join(", ")}`); process.exit(1); }
    ')
}

# redis-cli with the password from .env; REDISCLI_AUTH keeps it out of `ps`.
rcli() {
    local host port
    host=$(env_value REDIS_HOST) port=$(env_value REDIS_PORT)
    REDISCLI_AUTH=$(env_value REDIS_PASSWORD) redis-cli -h "${host:-127.0.0.1}" -p "${port:-6379}" "$@"
}

# redis-cli exits 0 even on an error reply, so check the answer.
flush_cache() {
    local reply
    reply=$(rcli FLUSHDB 2>&1)
    echo "redis FLUSHDB: $reply"
    [ "$reply" = OK ]
}

# Poll the health endpoint through Nginx. Sets HEALTH_CODE and HEALTH_BODY.
# Usage: wait_healthy ATTEMPTS [EXPECTED_VERSION]
wait_healthy() {
    local attempts=${1:-10} expect=${2:-} i out
    [ ${#CURL_RESOLVE[@]} = 0 ] || warn "$DOMAIN does not resolve here; checking through Nginx on 127.0.0.1"
    for ((i = 1; i <= attempts; i++)); do
        out=$(curl -sS "${CURL_RESOLVE[@]}" --max-time 5 -w '\n%{http_code}' "$HEALTH_URL" 2>&1)
        HEALTH_CODE=${out##*$'\n'}
        HEALTH_BODY=${out%$'\n'*}
        if [ "$HEALTH_CODE" = 200 ]; then
            if [ -z "$expect" ] || [ "$(jq -r .version <<<"$HEALTH_BODY" 2>/dev/null)" = "$expect" ]; then
                return 0
            fi
        fi
        sleep 1
    done
    return 1
}

record_history() {  # action tag result
    echo "$(date -Is) $1 $2 $3 $(git -C "$APP_DIR" rev-parse --short HEAD)" >>"$HISTORY_FILE"
}

release_version() {  # version in package.json at a git ref
    git -C "$APP_DIR" show "$1:package.json" | jq -r .version
}
