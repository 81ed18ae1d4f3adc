#!/bin/bash
# ~/dr-report.md records the recovery target (between the last good commit and the cleanup), when
# the restore started and when service was restored (consistent with PostgreSQL's own log), and
# the recovery time against the 60-minute target.
set -uo pipefail
source /root/.dr-lab || exit 3
REPORT=/home/impactlink/dr-report.md
if [ ! -s "$REPORT" ]; then
    echo "FAIL: ~/dr-report.md does not exist yet."
    exit 1
fi
field() { grep -i -m 1 "^[[:space:]#*-]*$1[[:space:]*]*:" "$REPORT" | sed -E 's/^[^:]*:[[:space:]*]*//; s/[[:space:]*]*$//'; }
# PostgreSQL parses the times: it knows SAST and the server's time zone, as the trainee does.
epoch() {
    runuser -u postgres -- psql -X -At -v t="$1" 2>/dev/null <<'SQL'
SELECT extract(epoch FROM (:'t')::timestamptz)
SQL
}
target=$(field 'Recovery target time')
started=$(field 'Restore started')
restored=$(field 'Service restored')
rto_line=$(field 'Recovery time [(]RTO[)]')
for name in "Recovery target time:$target" "Restore started:$started" "Service restored:$restored" "Recovery time (RTO):$rto_line"; do
    if [ -z "${name#*:}" ]; then
        echo "FAIL: ~/dr-report.md has no '${name%%:*}:' line."
        exit 1
    fi
done
t=$(epoch "$target"); s=$(epoch "$started"); r=$(epoch "$restored")
if [ -z "$t" ] || [ -z "$s" ] || [ -z "$r" ]; then
    echo "FAIL: a time in ~/dr-report.md cannot be read; write them like 2026-11-26 14:05:09 SAST."
    exit 1
fi
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
if ! within "$t" "$BEFORE_AT" "$DELETE_AT"; then
    echo "FAIL: the recovery target time in the report is not between the last good transaction and the cleanup."
    exit 1
fi
# The end of the recovery, from PostgreSQL's log: the report must bracket it.
done_line=$(grep -h 'archive recovery complete\|database system is ready to accept connections' \
    /var/log/postgresql/postgresql-15-main.log | tail -n 1 | cut -c1-23)
d=$(epoch "$done_line")
d=${d%.*}
now=$(date +%s)
# A minute of slack each way: people write times to the minute.
if ! within "$s" "$((INCIDENT_REPORTED_AT - 60))" "$(( ${d:-$now} + 60 ))"; then
    echo "FAIL: 'Restore started' is not between the incident report and the end of PostgreSQL's recovery."
    exit 1
fi
if ! within "$r" "$(( ${d:-0} - 60 ))" "$((now + 60))"; then
    echo "FAIL: 'Service restored' is before PostgreSQL finished its recovery, or in the future."
    exit 1
fi
minutes=$(grep -oE '[0-9]+([.,][0-9]+)?[[:space:]]*min' <<<"$rto_line" | head -n 1 | grep -oE '^[0-9]+([.,][0-9]+)?' | tr , .)
if [ -z "$minutes" ] || ! awk -v m="$minutes" -v s="$s" -v r="$r" 'BEGIN { d = (r - s) / 60; exit !(m >= d - 1.5 && m <= d + 1.5) }'; then
    echo "FAIL: the RTO line must give the minutes from 'Restore started' to 'Service restored'."
    exit 1
fi
if ! grep -Eiq '60[[:space:]]*min' <<<"$rto_line" || ! grep -Eiq '\b(met|missed)\b' <<<"$rto_line"; then
    echo "FAIL: the RTO line must compare with the 60-minute target and say met or missed."
    exit 1
fi
echo "DETAIL: target $target, restore $started -> $restored, $rto_line"
