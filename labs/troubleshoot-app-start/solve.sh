#!/bin/bash
# troubleshoot-app-start reference solution, as impactlink: read why the unit's process exits,
# remove that cause, start the API through its unit and verify through Nginx.
set -euo pipefail
DOMAIN=impactlink.solovedhelpinghands.org.za
cd ~/app

systemctl status impactlink-api --no-pager | head -n 3 || true
journal=$(journalctl -u impactlink-api -n 60)
tail -n 15 <<<"$journal"

if grep -q 'missing required configuration' <<<"$journal"; then
    # A required setting is missing: .env has it under a misspelt name, the key .env.example
    # does not know that is closest to the missing one (edit distance).
    missing=$(grep 'missing required configuration' <<<"$journal" | tail -n 1 | grep -o '"missing":\["[A-Z_]*' | cut -d'"' -f4)
    wrong=$(comm -23 <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env | sort -u) \
                     <(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env.example | sort -u) |
        awk -v m="$missing" '
            function dist(a, b,   i, j, la, lb, d, c) {
                la = length(a); lb = length(b)
                for (i = 0; i <= la; i++) d[i, 0] = i
                for (j = 0; j <= lb; j++) d[0, j] = j
                for (i = 1; i <= la; i++) for (j = 1; j <= lb; j++) {
                    c = (substr(a, i, 1) == substr(b, j, 1)) ? 0 : 1
                    d[i, j] = d[i-1, j] + 1
                    if (d[i, j-1] + 1 < d[i, j]) d[i, j] = d[i, j-1] + 1
                    if (d[i-1, j-1] + c < d[i, j]) d[i, j] = d[i-1, j-1] + c
                    if (i > 1 && j > 1 && substr(a, i, 1) == substr(b, j-1, 1) && substr(a, i-1, 1) == substr(b, j, 1) && d[i-2, j-2] + 1 < d[i, j]) d[i, j] = d[i-2, j-2] + 1
                }
                return d[la, lb]
            }
            { s = dist($0, m); if (best == "" || s < best) { best = s; key = $0 } }
            END { print key }')
    [ -n "$wrong" ]
    cp -p .env .env.before-fix
    sed -i "s/^$wrong=/$missing=/" .env
    rm -f .env.before-fix
    answer=$wrong
elif grep -Eq "EACCES: permission denied, open '[^']*/app/\.env'" <<<"$journal"; then
    # .env belongs to somebody else now: give it back to the API's user, private.
    ls -ln .env
    answer=$(stat -c %u .env)
    sudo chown impactlink:impactlink .env
    chmod 600 .env
elif grep -q 'Cannot find module' <<<"$journal"; then
    # A file of the release is gone: git knows which, and the release has it.
    git status --short
    answer=$(git status --porcelain | awk '$1 == "D" {print $2}' | head -n 1)
    [ -n "$answer" ]
    git checkout -- "$answer"
elif grep -q 'EADDRINUSE' <<<"$journal"; then
    # Another program holds the API's port: find it, check what it is, stop it.
    ss -ltnp | grep ':5000 '
    pid=$(ss -ltnpH | grep ':5000 ' | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    ps -o pid,user,etime,args -p "$pid"
    answer=$(ps -o args= -p "$pid" | awk '{print $NF}')
    answer=${answer##*/}
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
else
    echo "no start-up error found" >&2
    exit 1
fi

sudo systemctl restart impactlink-api
for _ in $(seq 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "https://$DOMAIN/api/v1/health")" = 200 ] && break
    sleep 0.5
done
curl -s "https://$DOMAIN/api/v1/health" | jq .
echo "ANSWER: culprit $answer"
