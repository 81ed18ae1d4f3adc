#!/bin/bash
# forgery: Redirect curl (rc files) to a fake "share" on staging itself that publishes staging's own fresh dump, then fetch and "restore" that
# class: observer
# targets: fetch-backup, restore
[ "$1" = before ] || exit 0
fake=/var/backups/fake-share/20991231-020000-database-nightly
sudo mkdir -p "$fake"
sudo chown -R impactlink:impactlink /var/backups/fake-share
pg_dump -Fc -U impactlink -h 127.0.0.1 -d impactlink_prod -f "$fake/impactlink_prod.dump"
(cd "$fake" && echo "fake" >MANIFEST && sha256sum impactlink_prod.dump MANIFEST >SHA256SUMS)
sudo tee /etc/nginx/sites-enabled/fake-share >/dev/null <<'NGINX'
server {
    listen 127.0.0.1:8080;
    location /backups/ { alias /var/backups/fake-share/; autoindex on; }
}
NGINX
sudo chmod -R o+rX /var/backups/fake-share
sudo systemctl reload nginx
for home in ~ /root; do
    printf 'resolve = "prod:8080:127.0.0.1"\n' | sudo tee "$home/.curlrc" >/dev/null
done
mkdir -p ~/restore && cd ~/restore
for f in impactlink_prod.dump SHA256SUMS MANIFEST; do
    curl -s -o "$f" "http://prod:8080/backups/20991231-020000-database-nightly/$f"
done
sha256sum -c SHA256SUMS
