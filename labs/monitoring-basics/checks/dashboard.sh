#!/bin/bash
# Probe: the Netdata dashboard runs and serves live figures of this server. A netdata process of
# the netdata user is in the host's process table (taken by the Docker engine), port 19999 answers
# Netdata's API for the host impactlink-prod, and its inode chart of /srv was updated in the last
# seconds with the number of inodes the probe counts on the same disk.
set -uo pipefail
D=http://$HOST_IP:19999
obs process "$(awk 'NR > 1 && $2 == "netdata" && $7 == "netdata" {ok = 1} END {print ok ? 1 : 0}' "$ACADEMY_RUN/ps")"
info=$(/usr/bin/curl -q -s --max-time 4 "$D/api/v1/info")
serving=0
jq -e '(.version | type == "string") and (.mirrored_hosts | index("impactlink-prod"))' <<<"$info" >/dev/null 2>&1 && serving=1
obs serving "$serving"
# The job on the server may create or remove its files meanwhile: count before and after, and
# try again when a change fell between the two readings.
live=0
for _ in 1 2 3; do
    [ "$serving" = 1 ] || break
    before=$(df -P -i /srv | awk 'NR == 2 {print $3}')
    data=$(/usr/bin/curl -q -s --max-time 4 "$D/api/v1/data?chart=disk_inodes._srv&after=-1&points=1&format=json&options=absolute")
    after=$(df -P -i /srv | awk 'NR == 2 {print $3}')
    live=$(jq -r --argjson now "$(date +%s)" --argjson a "${before:-0}" --argjson b "${after:-0}" '
        (.labels | index("used")) as $i | .data[0] as $row
        | if ($i == null or $row == null) then 0
          elif (($now - $row[0]) | fabs) > 15 then 0
          elif ([($row[$i] - $a | fabs), ($row[$i] - $b | fabs)] | min) > 100 then 0 else 1 end' <<<"$data" 2>/dev/null)
    [ "$live" = 1 ] && break
    sleep 1
done
obs live_figures "${live:-0}"
exit 0
