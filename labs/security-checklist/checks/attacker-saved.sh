#!/bin/bash
# Probe: the block on the attacking address is in /etc/nftables.conf, so it survives a reboot.
set -uo pipefail
attacker=$(getent ahostsv4 scanner | awk 'NR == 1 {print $1}')
[ -n "$attacker" ] || exit 3
flat=$(sed -e 's/#.*$//' /etc/nftables.conf 2>/dev/null | tr '\n' ' ')
obs attacker_in_ruleset_file "$(grep -Fq "$attacker" <<<"$flat" && echo 1 || echo 0)"
exit 0
