#!/bin/bash
# Probe: the leak is switched off where it was switched on. ~/app/.env (read the way the API reads
# it: the last value of a key wins) has none of the three diagnostics settings in a state that
# keeps every snapshot, and otherwise the settings the server was built with; the code is the
# release's (no hand edits, no commit of one); one API process, started after .env last changed
# (its age from the engine's process table); health 200 through Nginx.
set -uo pipefail
PS=$ACADEMY_RUN/ps
APP=/home/impactlink/app
ENV_FILE=$APP/.env
now=$(date +%s)

# KEY=VALUE, the last occurrence of each key, quotes dropped as the API's loader drops them.
settings() {
    awk '{
            line = $0; sub(/\r$/, "", line)
            if (match(line, /^[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*=/)) {
                key = substr(line, RSTART, RLENGTH - 1); gsub(/[ \t]/, "", key)
                val = substr(line, RSTART + RLENGTH); gsub(/^[ \t]+|[ \t]+$/, "", val)
                if (val ~ /^".*"$/ || val ~ /^\047.*\047$/) val = substr(val, 2, length(val) - 2)
                if (!(key in v)) order[++n] = key
                v[key] = val
            }
        }
        END { for (i = 1; i <= n; i++) print order[i] "=" v[order[i]] }' "$1" 2>/dev/null | sort
}
current=$(settings "$ENV_FILE")
on=0
grep -qiE '^DEBUG_CAPTURE=(1|on|true|yes)$' <<<"$current" && on=$((on + 1))
grep -qE '^RESPONSE_MEMO_TTL=(0+(\.0*)?|\.0+)$' <<<"$current" && on=$((on + 1))
grep -qiE '^METRICS_HISTORY=(unbounded|all|forever)$' <<<"$current" && on=$((on + 1))
obs switches_on "$on"
knobs='^(DEBUG_CAPTURE|RESPONSE_MEMO_TTL|METRICS_HISTORY)='
rest_ok=0
if [ -f "$ENV_FILE" ] && [ ! -L "$ENV_FILE" ] &&
    [ "$(grep -vE "$knobs" <<<"$current")" = "$(settings "/opt/srv-seed$ENV_FILE" | grep -vE "$knobs")" ]; then
    rest_ok=1
fi
obs env_rest_as_designed "$rest_ok"

# The code: HEAD is the v1.0.1 release, nothing changed in the tracked files, the module intact.
changed=0
head=$(hgit -C "$APP" rev-parse -q --verify HEAD 2>/dev/null)
release=$(hgit -C "$APP" rev-parse -q --verify 'v1.0.1^{commit}' 2>/dev/null)
[ -n "$head" ] && [ "$head" = "$release" ] || changed=1
[ -z "$(hgit -C "$APP" --no-optional-locks diff --name-only HEAD 2>/dev/null)" ] || changed=1
grep -qF "const keepAll = s.capture || s.memoTtl === 0 || ['unbounded', 'all', 'forever'].includes(s.history);" "$APP/src/diagnostics.js" 2>/dev/null || changed=1
grep -qxF "require('./src/diagnostics').start();" "$APP/server.js" 2>/dev/null || changed=1
obs code_changed "$changed"

obs api_processes "$(awk 'NR > 1 && $7 == "node" && / server\.js/' "$PS" | wc -l)"
api_age=$(awk 'NR > 1 && $7 == "node" && / server\.js/ {print $5}' "$PS" | sort -nr | head -n 1)
env_changed=$(stat -c %Z "$ENV_FILE" 2>/dev/null || echo "$now")
restarted=0
[ -n "$api_age" ] && [ $((now - api_age)) -ge $((env_changed - 1)) ] && restarted=1
obs restarted_after_change "$restarted"
obs health_code "$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 8 "https://$ACADEMY_DOMAIN/api/v1/health")"
exit 0
