#!/bin/bash
# forgery: Copy the evidence, then delete the lines that carry the secret instead of redacting them
# class: shallow
# targets: scrub
set -uo pipefail
[ "${1:-}" = before ] || exit 0
DOMAIN=impactlink.solovedhelpinghands.org.za
umask 077
work=$(mktemp -d)
# The leaked password, into files only (never on a command line: sudo logs those).
sudo grep -ohE 'postgresql://impactlink:[^@]+@' /var/log/impactlink/app.log | head -n 1 |
    sed -E 's#^postgresql://impactlink:(.*)@$#\1#' >"$work/old"
printf 's/%s/[REDACTED]/g\n' "$(cat "$work/old")" >"$work/redact.sed"
plain=$(sudo grep -rlF -f "$work/old" /var/log/ | sort -u)
gz=$(sudo find -H /var/log -name '*.gz' -exec zgrep -lF -f "$work/old" {} + | sort -u)
evidence() {  # a proper root-only copy of the affected logs
    sudo install -d -o root -g root -m 700 /root/incident-evidence
    sudo tar -czf /root/incident-evidence/logs.tar.gz -C / $(printf '%s\n' $plain $gz | sed 's#^/##')
    sudo chmod 600 /root/incident-evidence/logs.tar.gz
}
redact_in_place() {  # same file, same inode: the writers' handles stay valid
    local f
    for f in $plain; do sudo sed -f "$work/redact.sed" "$f" >"$work/clean"; sudo tee "$f" <"$work/clean" >/dev/null; done
    for f in $gz; do sudo zcat "$f" | sed -f "$work/redact.sed" | gzip >"$work/clean.gz"; sudo tee "$f" <"$work/clean.gz" >/dev/null; done
}
evidence
for f in $plain; do sudo grep -vF -f "$work/old" "$f" >"$work/clean"; sudo tee "$f" <"$work/clean" >/dev/null; done
for f in $gz; do sudo zcat "$f" | grep -vF -f "$work/old" | gzip >"$work/clean.gz"; sudo tee "$f" <"$work/clean.gz" >/dev/null; done
