#!/bin/bash
# The leaked value is nowhere under /var/log (compressed files included), the logs were redacted
# rather than deleted, and the API and Nginx still write into the live files.
set -uo pipefail
: "${LAB_DBPW:?}" "${LAB_ATTACKER_NET:?}" "${LAB_ATTACKER_HOST:?}"
LOGS=/var/log/impactlink
rc=0
hits=$(find -H /var/log -type f -print0 | xargs -0 -r zgrep -lF -- "$LAB_DBPW" 2>/dev/null)
if [ -n "$hits" ]; then
    echo "FAIL: the leaked password is still in: $(echo $hits)"
    echo "HINT: Compressed rotated logs count too (zgrep), and so does /var/log/sudo.log if a command line carried it."
    rc=1
fi
for f in "$LOGS/app.log" "$LOGS/service.log" /var/log/nginx/access.log; do
    [ -f "$f" ] || { echo "FAIL: $f is gone: redact the secret, keep the log."; rc=1; }
done
if ! ls "$LOGS"/app.log-*.gz >/dev/null 2>&1; then
    echo "FAIL: the rotated app.log-*.gz is gone: redact it, do not delete it."
    rc=1
fi
if [ "$(grep -c '"message":"pool config"' "$LOGS/app.log" 2>/dev/null)" -lt 3 ]; then
    echo "FAIL: the pool config lines were removed from app.log; replace the password, keep the lines (they are evidence)."
    rc=1
fi
attacker="102.$LAB_ATTACKER_NET.$LAB_ATTACKER_HOST.17"
if [ "$(grep -c "^$attacker " /var/log/nginx/access.log 2>/dev/null)" -lt 200 ]; then
    echo "FAIL: the brute-force lines are missing from the Nginx access log; they are evidence."
    rc=1
fi
# sed -i and editors write a new file: a writer that still holds the old one logs into nothing.
pid=$(pgrep -u impactlink -x node | head -n 1)
if [ -n "$pid" ] && runuser -u impactlink -- ls -l "/proc/$pid/fd" 2>/dev/null | grep -q '/var/log/.*(deleted)'; then
    echo "FAIL: the API still writes into a log file that was replaced: its new lines are lost."
    echo "HINT: Restart the API after replacing its log files (or redact in place)."
    rc=1
fi
for worker in $(pgrep -u www-data -x nginx); do
    if runuser -u www-data -- ls -l "/proc/$worker/fd" 2>/dev/null | grep -q '/var/log/.*(deleted)'; then
        echo "FAIL: Nginx still writes into a log file that was replaced."
        echo "HINT: sudo nginx -s reopen (or reload Nginx) after replacing its logs."
        rc=1
        break
    fi
done
exit $rc
