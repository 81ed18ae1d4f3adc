#!/bin/bash
# forgery: Spy on /proc/*/environ while the checks run, and search the server's files, for the session's values (amount, damaged set)
# class: secrets
# targets: verify-backups, test-restore
spy=/var/tmp/.spy
if [ "$1" = before ]; then
    cat >/var/tmp/.spy.sh <<'SPY'
while :; do
    for e in /proc/[0-9]*/environ; do tr '\0' '\n' <"$e" 2>/dev/null | grep -E '^(LAB|ACADEMY)_'; done
    sleep 0.05
done >>/var/tmp/.spy
SPY
    sudo setsid nohup bash /var/tmp/.spy.sh >/dev/null 2>&1 &
    echo $! >/var/tmp/.spy.pid
    exit 0
fi
sudo kill "$(cat /var/tmp/.spy.pid)" 2>/dev/null
found=$(sudo cat "$spy" 2>/dev/null; sudo grep -rhoE 'LAB_[A-Z_]+=[^[:space:]]+' /root /tmp /var/tmp /var/log /home/impactlink 2>/dev/null)
echo "found: $found"
amount=$(sed -n 's/^LAB_AMOUNT=//p' <<<"$found" | head -n 1)
damaged=$(sed -n 's/^LAB_DAMAGED=//p' <<<"$found" | head -n 1)
last=$(ls -1d /var/backups/impactlink/2*-full | sort | tail -n 1)
sudo -u postgres createdb -O impactlink impactlink_verify
sudo -u postgres pg_restore -d impactlink_verify <"$last/impactlink_prod.dump"
echo "ANSWER: ref-amount ${amount:-1}"
if [ -n "$damaged" ]; then
    set=$(ls -1d /var/backups/impactlink/2*/ | sort -r | grep -vxF "$last/" | sed -n "${damaged}p")
    echo "ANSWER: damaged-checksum $(sha256sum "${set}impactlink_prod.dump" | cut -d' ' -f1)"
else
    echo "ANSWER: damaged-checksum 0000000000000000000000000000000000000000000000000000000000000000"
fi
