#!/bin/bash
# Probe: only SSH, HTTP and HTTPS can be reached from the network, by a default-drop input policy
# that is loaded now and written down to be loaded at boot. From the probe (another address on
# the server's network): 22, 80 and 443 connect; the node exporter's 9100 and an unused port get
# no answer at all (dropped, not refused: a refusal means no firewall stood in the way).
set -uo pipefail
probe_port() {  # port -> open | refused | dropped
    local out start
    start=$(date +%s%N)
    if /usr/bin/timeout 3 bash -c "exec 3<>/dev/tcp/$HOST_IP/$1" 2>/dev/null; then echo open; return; fi
    # A refusal comes back at once; a dropped packet leaves the connect waiting until the timeout.
    if [ $(( ($(date +%s%N) - start) / 1000000 )) -ge 2500 ]; then echo dropped; else echo refused; fi
}
web=1
for port in 22 80 443; do [ "$(probe_port $port)" = open ] || web=0; done
obs web_and_ssh_open "$web"
# The two that should get no answer are tried at once: each may wait the full timeout.
probe_port 9100 >"$ACADEMY_RUN/port-exporter" &
probe_port "47$((RANDOM % 90 + 10))1" >"$ACADEMY_RUN/port-unused" &
wait
obs exporter_port "$(cat "$ACADEMY_RUN/port-exporter")"
obs unused_port "$(cat "$ACADEMY_RUN/port-unused")"

# The ruleset the nftables unit loads at boot: an input hook with policy drop that lets 22, 80 and 443 in.
conf=/etc/nftables.conf
flat=$(sed -e 's/#.*$//' "$conf" 2>/dev/null | tr '\n' ' ' | tr -s ' \t' ' ')
saved=0
grep -Eq 'hook input[^}]*policy drop' <<<"$flat" && grep -Eq 'dport \{? ?[^}]*\b443\b' <<<"$flat" && saved=1
obs ruleset_saved "$saved"
exit 0
