#!/bin/bash
# forgery: Go around the cause instead of removing it: a correct setting added beside the misspelt one, .env opened to everyone, a stub file for the missing one, or the API and Nginx moved to a free port
# class: shallow
# targets: start-api
[ "$1" = before ] || exit 0
cd ~/app || exit 1
journal=$(journalctl -u impactlink-api -n 60)
if grep -q 'missing required configuration' <<<"$journal"; then
    missing=$(grep 'missing required configuration' <<<"$journal" | tail -n 1 | grep -o '"missing":\["[A-Z_]*' | cut -d'"' -f4)
    value=$(sudo sed -n "s/^$missing=//p" /opt/srv-seed/home/impactlink/app/.env)
    echo "$missing=$value" >>.env
elif grep -q 'EACCES' <<<"$journal"; then
    sudo chmod 644 .env
elif grep -q 'Cannot find module' <<<"$journal"; then
    # A stand-in written by hand: the file's content as it was, but not restored from the release.
    file=$(git status --porcelain | awk '$1 == "D" {print $2}' | head -n 1)
    git show "HEAD:$file" >"$file"
    printf '\n// restored by hand\n' >>"$file"
else
    sed -i 's/^PORT=.*/PORT=5001/' .env
    sudo sed -i 's/server 127\.0\.0\.1:5000;/server 127.0.0.1:5001;/' /etc/nginx/sites-available/impactlink
    sudo nginx -t -q && sudo systemctl reload nginx
fi
sudo systemctl restart impactlink-api
sleep 4
