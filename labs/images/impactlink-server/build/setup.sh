#!/bin/bash
# Build-time setup of the impactlink-server image (run once by the Dockerfile).
# Everything mutable is moved under /opt/srv-seed and replaced by a symlink into /srv;
# during the build /srv itself points at /opt/srv-seed, so later steps write into the seed.
set -euxo pipefail
B=/opt/impactlink-build
DOMAIN=impactlink.solovedhelpinghands.org.za
HOME_DIR=/home/impactlink
as_user() { runuser -u impactlink -- env HOME=/home/impactlink "$@"; }

# --- account -------------------------------------------------------------------------
useradd --create-home --uid 1000 --user-group --groups adm --shell /bin/bash impactlink
ln -sf /usr/share/zoneinfo/Africa/Johannesburg /etc/localtime
echo Africa/Johannesburg >/etc/timezone

# --- /srv layout ---------------------------------------------------------------------
rmdir /srv
mkdir -p /opt/srv-seed
ln -s /opt/srv-seed /srv
relocate() {
    local p
    for p in "$@"; do
        mkdir -p "/srv$(dirname "$p")"
        if [ -e "$p" ]; then mv "$p" "/srv$p"; else mkdir -p "/srv$p"; fi
        ln -s "/srv$p" "$p"
    done
}
# The host firewall's ruleset: editable, and it allows everything until a lab changes it.
install -m 644 "$B/config/nftables.conf" /etc/nftables.conf
relocate /home/impactlink /root /var/log /var/backups /var/tmp /var/spool/cron \
    /var/lib/postgresql /var/lib/redis /var/lib/nginx /var/lib/logrotate /var/lib/sudo /var/lib/sysstat \
    /var/lib/netdata /var/cache/netdata /var/lib/prometheus \
    /etc/postgresql /etc/redis /etc/nginx /etc/logrotate.d /etc/impactlink /etc/ssh /etc/netdata \
    /etc/nftables.conf
chmod 700 /srv/var/lib/sudo
chmod 1777 /srv/var/tmp

# --- secrets (fresh per build; the lab reads them from .env) ------------------------------
DB_PASSWORD=$(openssl rand -hex 16)
REDIS_PASSWORD=$(openssl rand -hex 16)

# --- application repository with tagged releases ----------------------------------------
install -d -o impactlink -g impactlink "$HOME_DIR/app" "$HOME_DIR/scripts"
cat >"$HOME_DIR/.gitconfig" <<CFG
[user]
	name = ImpactLink Ops
	email = ops@solovedhelpinghands.org.za
[advice]
	detachedHead = false
CFG
chown impactlink:impactlink "$HOME_DIR/.gitconfig"
commit_release() {  # tag date message
    local tag=$1 when=$2 msg=$3
    cp -a "$B/releases/$tag/." "$HOME_DIR/app/"
    chown -R impactlink:impactlink "$HOME_DIR/app"
    cd "$HOME_DIR/app"
    # Re-index everything: cp -a keeps mtimes, and same-size files with equal mtimes look unchanged to git.
    as_user git rm -r -q --cached --ignore-unmatch .
    as_user git add -A
    export GIT_AUTHOR_NAME="ImpactLink Developer" GIT_AUTHOR_EMAIL="dev@solovedhelpinghands.org.za"
    export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
    GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when as_user git commit -q -m "$msg"
    GIT_COMMITTER_DATE=$when as_user git tag -a "$tag" -m "Release $tag"
    unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
    cd /
}
(cd "$HOME_DIR/app" && as_user git init -q -b main)
commit_release v1.0.0 "2025-10-20T10:12:00+02:00" "Release 1.0.0: charities, projects, donations and users API"
commit_release v1.1.0 "2025-11-03T14:40:00+02:00" "Release 1.1.0: Section 18A status on charities (migration 002)"
commit_release v1.2.0 "2025-11-12T16:05:00+02:00" "Release 1.2.0: donation dedications, primary/replica DB config (migration 003)"
(cd "$HOME_DIR/app" && as_user git checkout -q v1.0.0)

cat >"$HOME_DIR/app/.env" <<ENV
NODE_ENV=production
PORT=5000
HOST=127.0.0.1
API_VERSION=v1
FRONTEND_URL=https://$DOMAIN
CORS_ORIGIN=https://$DOMAIN
DATABASE_URL=postgresql://impactlink:$DB_PASSWORD@127.0.0.1:5432/impactlink_prod
DB_POOL_MAX=10
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
REDIS_PASSWORD=$REDIS_PASSWORD
REDIS_URL=redis://default:$REDIS_PASSWORD@127.0.0.1:6379/0
JWT_SECRET=$(openssl rand -hex 32)
JWT_REFRESH_SECRET=$(openssl rand -hex 32)
SESSION_SECRET=$(openssl rand -hex 32)
STRIPE_SECRET_KEY=sk_test_sandbox_$(openssl rand -hex 12)
LOG_LEVEL=info
LOG_DIR=/var/log/impactlink
CACHE_TTL_CHARITIES=7200
BACKUP_RETENTION_DAYS=30
ADMIN_EMAIL=admin@solovedhelpinghands.org.za
RATE_LIMIT_LOGIN_PER_MINUTE=5
ENABLE_REGISTRATION=true
ENABLE_PASSWORD_RESET=true
ENABLE_RECURRING_DONATIONS=true
ENV
printf 'localhost:5432:*:impactlink:%s\n127.0.0.1:5432:*:impactlink:%s\n' "$DB_PASSWORD" "$DB_PASSWORD" >"$HOME_DIR/.pgpass"
cat "$B/config/bashrc-impactlink" >>"$HOME_DIR/.bashrc"
cat "$B/config/profile-impactlink" >>"$HOME_DIR/.profile"
chown impactlink:impactlink "$HOME_DIR/app/.env" "$HOME_DIR/.pgpass" "$HOME_DIR/.bashrc" "$HOME_DIR/.profile"
chmod 600 "$HOME_DIR/app/.env" "$HOME_DIR/.pgpass"

cp -a "$B/scripts/." "$HOME_DIR/scripts/"
chown -R impactlink:impactlink "$HOME_DIR/scripts"
install -d -o impactlink -g adm -m 750 /var/log/impactlink
# Every log file exists from the start, 0640 impactlink:adm (logrotate's copytruncate keeps them).
for f in access app error service deploy backup health alerts; do
    install -o impactlink -g adm -m 640 /dev/null "/var/log/impactlink/$f.log"
done
install -d -o impactlink -g impactlink -m 750 /var/backups/impactlink

# --- PostgreSQL 15 -------------------------------------------------------------------------
# The observer's socket directory (see postgresql.conf): on /srv so a probe container that
# mounts this disk read-only can reach the server without a network listener.
install -d -m 755 /srv/.academy
install -d -o postgres -g postgres -m 700 /srv/.academy/pg
pg_createcluster --locale C.UTF-8 --start-conf auto 15 main -- --data-checksums
install -o postgres -g postgres -m 644 "$B/config/postgresql.conf" /etc/postgresql/15/main/conf.d/impactlink.conf
install -o postgres -g postgres -m 640 "$B/config/pg_hba.conf" /etc/postgresql/15/main/pg_hba.conf
pg_ctlcluster 15 main start
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE impactlink LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
CREATE DATABASE impactlink_prod OWNER impactlink;
\c impactlink_prod
CREATE EXTENSION pg_stat_statements;
GRANT pg_read_all_stats TO impactlink;
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO impactlink;
SQL
(cd "$HOME_DIR/app" && as_user node bin/migrate.js)
as_user psql -X -q -v ON_ERROR_STOP=1 -U impactlink -d impactlink_prod -f "$B/db/seed.sql"
# Seeded users get real scrypt hashes of one password, kept for lab authors in
# /etc/impactlink/seed-password (root only).
SEED_PASSWORD="Donor-$(openssl rand -hex 6)"
install -d -m 755 /etc/impactlink
(umask 077 && echo "$SEED_PASSWORD" >/etc/impactlink/seed-password)
as_user env SEED_PASSWORD="$SEED_PASSWORD" DATABASE_URL="postgresql://impactlink:$DB_PASSWORD@127.0.0.1:5432/impactlink_prod" \
    node "$B/db/set-passwords.js"
unset SEED_PASSWORD
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod -c 'VACUUM (FREEZE, ANALYZE)'
# The seed's WAL is not needed: a checkpoint under a tiny max_wal_size keeps only 2 segments.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET max_wal_size = '32MB'" \
    -c 'SELECT pg_reload_conf()' -c 'SELECT pg_switch_wal()' -c 'CHECKPOINT' -c 'CHECKPOINT' \
    -c 'ALTER SYSTEM RESET max_wal_size'
# Trainees should find only the API's own queries in pg_stat_statements.
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod \
    -c 'SELECT pg_stat_reset()' -c 'SELECT pg_stat_statements_reset()'
pg_ctlcluster 15 main stop -m fast
rm -f /var/log/postgresql/*.log
echo "$(date -Is) deploy v1.0.0 ok $(cd "$HOME_DIR/app" && as_user git rev-parse --short HEAD)" >"$HOME_DIR/.deploy-history"
chown impactlink:impactlink "$HOME_DIR/.deploy-history"

# --- Redis ---------------------------------------------------------------------------------
{ cat "$B/config/redis.conf"; echo "requirepass $REDIS_PASSWORD"; } >/etc/redis/redis.conf
chown redis:redis /etc/redis/redis.conf
chmod 640 /etc/redis/redis.conf

# --- TLS: internal CA (trusted system-wide) and a 90-day server certificate ---------------
install -d -m 700 /etc/impactlink/pki
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -subj "/C=ZA/O=So Loved Helping Hands/CN=So Loved Helping Hands Internal CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout /etc/impactlink/pki/ca.key -out /etc/impactlink/pki/ca.crt
cp /etc/impactlink/pki/ca.crt /usr/local/share/ca-certificates/impactlink-internal-ca.crt
update-ca-certificates
impactlink-issue-cert --days 90

# --- Nginx -------------------------------------------------------------------------------------
install -m 644 "$B/config/nginx.conf" /etc/nginx/nginx.conf
install -m 644 "$B/config/nginx-site.conf" /etc/nginx/sites-available/impactlink
rm -f /etc/nginx/sites-enabled/default
ln -s /etc/nginx/sites-available/impactlink /etc/nginx/sites-enabled/impactlink
nginx -t

# --- SSH: Debian's defaults (not hardened yet); impactlink logs in with a key made here ---------
# Host keys come from the package's postinst (made during this build). pam_loginuid needs
# CAP_AUDIT_CONTROL, which the sandbox does not grant: without this every login would fail.
sed -i 's/^session\s\+required\s\+pam_loginuid.so/# &  (disabled: no CAP_AUDIT_CONTROL in the sandbox)/' /etc/pam.d/sshd
ls /etc/ssh/ssh_host_*_key
install -d -o impactlink -g impactlink -m 700 "$HOME_DIR/.ssh"
as_user ssh-keygen -q -t ed25519 -N '' -C "impactlink@impactlink-prod" -f "$HOME_DIR/.ssh/id_ed25519"
install -o impactlink -g impactlink -m 600 "$HOME_DIR/.ssh/id_ed25519.pub" "$HOME_DIR/.ssh/authorized_keys"
for k in /etc/ssh/ssh_host_*_key.pub; do
    echo "127.0.0.1,localhost,::1 $(cut -d' ' -f1,2 "$k")"
done >"$HOME_DIR/.ssh/known_hosts"
chown impactlink:impactlink "$HOME_DIR/.ssh/known_hosts"

# --- monitoring: Netdata (dashboard on :19999) and the Prometheus node exporter (:9100) ---------
# Neither starts at boot; a lab runs `sudo systemctl start netdata` / `node-exporter`.
install -m 644 "$B/config/netdata.conf" /etc/netdata/netdata.conf
install -d -o netdata -g netdata -m 755 /var/lib/netdata/cloud.d /var/cache/netdata /var/log/netdata
printf '[global]\n    enabled = no\n' >/var/lib/netdata/cloud.d/cloud.conf
chown netdata:netdata /var/lib/netdata/cloud.d/cloud.conf
touch /etc/netdata/.opt-out-from-anonymous-statistics
install -d -o prometheus -g prometheus -m 755 /var/log/prometheus

# --- background traffic (impactlink-traffic, started at boot) ------------------------------------
install -m 755 "$B/config/impactlink-traffic" /usr/local/sbin/impactlink-traffic

# --- cron, logrotate, sudo, pam ----------------------------------------------------------------
install -m 644 "$B/config/logrotate-impactlink" /etc/logrotate.d/impactlink
install -o impactlink -g crontab -m 600 "$B/config/crontab-impactlink" /var/spool/cron/crontabs/impactlink
# pam_loginuid needs CAP_AUDIT_CONTROL, which the sandbox does not grant: cron jobs would never run.
sed -i 's/^session\s\+required\s\+pam_loginuid.so/# &  (disabled: no CAP_AUDIT_CONTROL in the sandbox)/' /etc/pam.d/cron
# Files that cron jobs create (script logs) are not world-readable: 0640, like the API's own.
echo 'session    optional   pam_umask.so umask=0027' >>/etc/pam.d/cron
chmod 440 /etc/sudoers.d/impactlink
visudo -c
touch /var/log/sudo.log && chmod 600 /var/log/sudo.log

# --- finish: /srv becomes an empty mount point; the seed stays in /opt/srv-seed --------------
rm -rf "$B" /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/log/bootstrap.log /root/.bash_history
rm -rf /run/postgresql/* /run/nginx.pid /run/redis
rm /srv
mkdir -m 755 /srv
du -sh /opt/srv-seed
