# Prepended by the platform to every probe script (app/sandboxes/probes.py): the helpers of
# the check contract (docs/authoring.md, "Checks"), then the host's process table.
# The PATH, the domain and the process table placeholders are filled in per run.
set +e
umask 077
unset BASH_ENV ENV CDPATH GLOBIGNORE
export PATH=__PATH__ LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=/nonexistent TZ=Africa/Johannesburg
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_NO_REPLACE_OBJECTS=1
export GIT_TERMINAL_PROMPT=0 GIT_PAGER=cat PAGER=cat
ACADEMY_DOMAIN=__DOMAIN__
mkdir -p /run/academy 2>/dev/null || mkdir -p /tmp/academy
ACADEMY_RUN=/run/academy; [ -w /run/academy ] || ACADEMY_RUN=/tmp/academy
obs() { local name=$1; shift; printf 'OBS %s %s\n' "$name" "$*"; }
tamper() { printf 'TAMPER: %s\n' "$*"; }
hcurl() {
  /usr/bin/curl -q --noproxy '*' --connect-timeout 3 --max-time 10 \
    --resolve "$ACADEMY_DOMAIN:443:$HOST_IP" --resolve "$ACADEMY_DOMAIN:80:$HOST_IP" \
    --cacert /opt/srv-seed/etc/impactlink/pki/ca.crt "$@"
}
hpsql() {
  local db=$1; shift
  /usr/sbin/runuser -u postgres -- /usr/bin/psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -h "$ACADEMY_PG_SOCKET" -d "$db" -c "SET search_path = pg_catalog, public" -c "$*"
}
hgit() {
  /usr/bin/git -c safe.directory='*' -c core.fsmonitor=false -c core.hooksPath=/dev/null \
    -c core.pager=cat --no-replace-objects "$@"
}
academy_tamper_scan() {
  local rc home
  for home in /srv/root /srv/home/impactlink; do
    for rc in .curlrc .config/curlrc .wgetrc .netrc .psqlrc .pg_service.conf; do
      if [ -f "$home/$rc" ] && grep -Eqi '(resolve|connect-to|proxy|url|host|server|\\set|\\o)' "$home/$rc" 2>/dev/null; then
        tamper "$home/$rc redirects a tool the checks could use"
      fi
    done
  done
  local script seed=/opt/srv-seed/home/impactlink/scripts
  for script in deploy.sh rollback.sh backup.sh health-check.sh lib/common.sh; do
    if [ -e "$seed/$script" ] && ! cmp -s "$seed/$script" "/srv/home/impactlink/scripts/$script"; then
      tamper "the ops script $script differs from the one the server was given"
    fi
  done
}
# 1 when Nginx's serving workers all started after the epoch second $1 (the newest change to
# its configuration): it was reloaded or restarted since. Workers still finishing old requests
# after a reload ("is shutting down") take no new ones and do not count; no serving worker is 0.
nginx_reloaded_since() {
  awk -v now="$(date +%s)" -v changed="${1:-0}" '
    NR > 1 && $7 == "nginx" && / nginx: worker process$/ { n++; if (now - $5 < changed - 1) old++ }
    END { print (n > 0 && old == 0) ? 1 : 0 }' "$ACADEMY_RUN/ps"
}
awk -v passwd=/etc/passwd 'BEGIN { FS = ":"; while ((getline line < passwd) > 0) { split(line, f, ":"); name[f[3]] = f[1] } FS = " " }
  NR == 1 { print "PID USER %CPU RSS_KB ELAPSED_S STAT COMM ARGS"; next }
  { u = ($2 in name) ? name[$2] : $2; $2 = u; print }' >"$ACADEMY_RUN/ps" <<'__ACADEMY_PS__'
__PS__
__ACADEMY_PS__
