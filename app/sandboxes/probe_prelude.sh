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
[ -d /run/academy ] || mkdir -p /run/academy 2>/dev/null || mkdir -p /tmp/academy
ACADEMY_RUN=/run/academy; [ -w /run/academy ] || ACADEMY_RUN=/tmp/academy
obs() { local name=$1; shift; printf 'OBS %s %s\n' "$name" "$*"; }
tamper() { printf 'TAMPER: %s\n' "$*"; }
hcurl() {
  /usr/bin/curl -q --noproxy '*' --connect-timeout 3 --max-time 10 \
    --resolve "$ACADEMY_DOMAIN:443:$HOST_IP" --resolve "$ACADEMY_DOMAIN:80:$HOST_IP" \
    --cacert /opt/srv-seed/etc/impactlink/pki/ca.crt "$@"
}
# PostgreSQL's own client, not Debian's /usr/bin/psql: that is a perl wrapper costing about 25 ms
# of CPU per call to find the cluster's port, and it reads the port from the trainee's
# configuration. The port is the one the running server's socket (on the host's disk) has.
ACADEMY_PSQL=/usr/bin/psql
for _p in /usr/lib/postgresql/*/bin/psql; do [ -x "$_p" ] && ACADEMY_PSQL=$_p; done
ACADEMY_PG_PORT=5432
if [ ! -S "$ACADEMY_PG_SOCKET/.s.PGSQL.5432" ]; then
  for _p in "$ACADEMY_PG_SOCKET"/.s.PGSQL.*; do
    [ -S "$_p" ] && [[ ${_p##*.} =~ ^[0-9]+$ ]] && ACADEMY_PG_PORT=${_p##*.}
  done
fi
unset _p
# As the postgres user (peer authentication on the socket). setpriv changes the user and nothing
# else; runuser (the fallback) also opens a PAM session, several milliseconds per call.
ACADEMY_AS_POSTGRES=(/usr/sbin/runuser -u postgres --)
[ -x /usr/bin/setpriv ] && ACADEMY_AS_POSTGRES=(/usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups --)
hpsql() {
  local db=$1; shift
  "${ACADEMY_AS_POSTGRES[@]}" "$ACADEMY_PSQL" -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -h "$ACADEMY_PG_SOCKET" -p "$ACADEMY_PG_PORT" -d "$db" -c "SET search_path = pg_catalog, public" -c "$*"
}
# Several statements over one connection (a psql and a backend cost about 0.04 CPU-s each):
# the output starts with a random token, each statement's rows follow a line "<token> N", and
# `part N` reads statement N's rows back from it (no row can forge a token it never saw). A
# failing statement leaves its part empty, and the next ones still run.
hpsql_each() {
  local db=$1 i=0 q token; shift
  local args=()
  # 96 bits from the kernel's random source (bash's SRANDOM), without a process for it.
  if [ -n "${SRANDOM:-}" ]; then
    printf -v token '@@%08x%08x%08x' "$SRANDOM" "$SRANDOM" "$SRANDOM"
  else
    token=@@$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  fi
  for q in "$@"; do i=$((i + 1)); args+=(-c "\\echo $token $i" -c "$q"); done
  printf '%s\n' "$token"
  "${ACADEMY_AS_POSTGRES[@]}" "$ACADEMY_PSQL" -X -q -A -t -F '|' -v VERBOSITY=verbose \
    -h "$ACADEMY_PG_SOCKET" -p "$ACADEMY_PG_PORT" -d "$db" -c "SET search_path = pg_catalog, public" "${args[@]}"
}
# In bash alone (no process): a line of exactly two blank-separated fields, the first the token,
# switches to the statement its second names.
part() {
  local n=$1 token line on=0 sep=$' \t'
  IFS= read -r token || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line == *"$token"* && $line =~ ^[$sep]*([^$sep]+)[$sep]+([^$sep]+)[$sep]*$ &&
      ${BASH_REMATCH[1]} == "$token" ]]; then
      on=0
      [ "${BASH_REMATCH[2]}" = "$n" ] && on=1
      continue
    fi
    [ "$on" = 1 ] && printf '%s\n' "$line"
  done
  return 0
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
  # The ops scripts against the ones the server was given: one sha256sum for all of them. Only
  # regular files are read (a FIFO would hold the scan until the check's time limit).
  local script seed=/opt/srv-seed/home/impactlink/scripts ours=/srv/home/impactlink/scripts
  local files=() wanted=() digest path
  declare -A sum=()
  for script in deploy.sh rollback.sh backup.sh health-check.sh lib/common.sh; do
    [ -f "$seed/$script" ] || continue
    wanted+=("$script")
    [ -f "$ours/$script" ] && files+=("$seed/$script" "$ours/$script")
  done
  if [ "${#files[@]}" -gt 0 ]; then
    while read -r digest path; do
      [ -n "$path" ] && sum[$path]=$digest
    done <<<"$(sha256sum -- "${files[@]}" 2>/dev/null)"
  fi
  for script in "${wanted[@]}"; do
    if [ -z "${sum[$seed/$script]:-}" ] || [ "${sum[$seed/$script]}" != "${sum[$ours/$script]:-}" ]; then
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
# The process answering /api/v1/health through Nginx: when it started (ms since the epoch, from its
# own answer), accepted only if a node process in the host's process table (taken by the Docker
# engine, not by anything in the sandbox) has been running that long, and only if its clock is now.
api_start_ms() {
  local uptime ts now
  uptime=$(jq -r '.uptime // empty' <<<"$1" 2>/dev/null)
  [[ $uptime =~ ^[0-9.]+$ ]] || return 1
  awk -v up="$uptime" 'NR > 1 && $7 == "node" { d = $5 - up; if (d < 0) d = -d; if (d <= 3) ok = 1 }
    END { exit !ok }' "$ACADEMY_RUN/ps" || return 1
  ts=$(jq -r '.timestamp | capture("^(?<s>[^.]+)(\\.(?<f>[0-9]+))?Z$")
    | (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") + "00" | .[0:3] | tonumber)' <<<"$1" 2>/dev/null)
  [[ $ts =~ ^[0-9]+$ ]] || return 1
  # A canned answer carries a stale (or invented) clock; the live API's is now.
  now=$(date +%s%3N)
  [ $((now - ts)) -le 5000 ] && [ $((ts - now)) -le 5000 ] || return 1
  jq -n --argjson ts "$ts" --argjson up "$uptime" '$ts - $up * 1000 | floor'
}
# The observations that the API through Nginx is the real one (labs' checks/real-api.sh): health
# 200 with the release, database and cache ok; its uptime a node process's; a charity written
# now read through Nginx from the database, then from the API's Redis cache after a rename.
real_api_observations() {
  local URL=https://$ACADEMY_DOMAIN province first second reg out code body release healthy running
  local reads cached id list one two
  nonce() { head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  province="probe-$(nonce)" first="Probe $(nonce)" second="Probe $(nonce)" reg="PRB-$(nonce)"

  out=$(hcurl -s --max-time 5 -w '\n%{http_code}' "$URL/api/v1/health")
  code=${out##*$'\n'}
  body=${out%$'\n'*}
  obs health_code "${code:-000}"
  release=$(jq -r '.version // empty' /home/impactlink/app/package.json 2>/dev/null)
  healthy=0
  [ -n "$release" ] && [ "$(jq -r '[.version, .database, .cache] | join(" ")' <<<"$body" 2>/dev/null)" = "$release ok ok" ] && healthy=1
  obs health_ok "$healthy"

  # The health answer's own uptime belongs to a node process on the host, and its clock is now.
  running=0
  [ -n "$(api_start_ms "$body")" ] && running=1
  obs api_is_running_process "$running"

  reads=0 cached=0
  if [ "$code" = 200 ]; then
    id=$(hpsql impactlink_prod "INSERT INTO public.charities (name, category, registration_number, verification_status, province)
        VALUES ('$first', 'other', '$reg', 'verified', '$province') RETURNING id" 2>/dev/null)
    if [ -n "$id" ]; then
        list="$URL/api/v1/charities?province=$province&limit=5"
        one=$(hcurl -s --max-time 5 -D - "$list" 2>/dev/null)
        if grep -qi '^x-cache: *MISS' <<<"$one" && [ "$(sed -n '/^{/p' <<<"$one" | jq -r '[.data[]?.id] | join(",")' 2>/dev/null)" = "$id" ] &&
            [ "$(sed -n '/^{/p' <<<"$one" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ]; then
            reads=1
        fi
        hpsql impactlink_prod "UPDATE public.charities SET name = '$second' WHERE id = '$id'" >/dev/null 2>&1
        two=$(hcurl -s --max-time 5 -D - "$list" 2>/dev/null)
        if grep -qi '^x-cache: *HIT' <<<"$two" && [ "$(sed -n '/^{/p' <<<"$two" | jq -r '.data[0].name // empty' 2>/dev/null)" = "$first" ]; then
            cached=1
        fi
        # The record served its purpose; a third request would now read the renamed row.
        hpsql impactlink_prod "DELETE FROM public.charities WHERE id = '$id'" >/dev/null 2>&1
    fi
  fi
  obs api_reads_database "$reads"
  obs api_uses_cache "$cached"
}
# The engine's table with user names from this image's /etc/passwd, fields one blank apart, in
# bash alone: a process here costs several milliseconds when the machine is busy.
declare -A _names=()
while IFS=: read -r _n _ _u _; do [ -n "$_u" ] && _names[$_u]=$_n; done </etc/passwd
{
  if IFS= read -r _l && [ -n "$_l" ]; then
    printf '%s\n' 'PID USER %CPU RSS_KB ELAPSED_S STAT COMM ARGS'
    while read -r -a _f || [ "${#_f[@]}" -gt 0 ]; do
      [ "${#_f[@]}" -gt 1 ] && [ -n "${_names[${_f[1]}]+set}" ] && _f[1]=${_names[${_f[1]}]}
      printf '%s\n' "${_f[*]}"
    done
  fi
} >"$ACADEMY_RUN/ps" <<'__ACADEMY_PS__'
__PS__
__ACADEMY_PS__
unset _names _n _u _l _f
