#!/bin/bash
# deploy-staging setup (root): turn the replica into the staging server running v1.0.0, build this
# session's v1.2.0 (the setting it needs differs per session) and leave the change request on it.
set -euo pipefail
: "${LAB_TTL_MINUTES:?}" "${LAB_CHANGE:?}" "${LAB_SETTING:?}"
HOME_DIR=/home/impactlink
APP=$HOME_DIR/app
as_ops() { runuser -u impactlink -- "$@"; }
git_ops() { as_ops env -C "$APP" GIT_CONFIG_NOSYSTEM=1 git "$@"; }

# Staging, not production: a yellow prompt, so screenshots and recordings say where this ran.
sed -i 's/^PS1=.*/PS1='"'"'\\[\\e[1;33m\\][STAGING]\\[\\e[0m\\] \\[\\e[1;32m\\]\\u@\\h\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ '"'"'/' \
    "$HOME_DIR/.bashrc"
sed -i 's/^# Red \[PROD\].*/# Yellow [STAGING]: this is the staging server./' "$HOME_DIR/.bashrc"
# /etc/motd (read-only here) describes production; say where this shell really is.
cat >>"$HOME_DIR/.bashrc" <<'BANNER'
case $- in *i*) printf '\n  \e[1;33m>>> STAGING: impactlink-staging, a copy of production for testing <<<\e[0m\n\n' ;; esac
BANNER

# The server starts on the previous release, exactly as production runs it today.
[ "$(git_ops describe --tags --exact-match HEAD)" = v1.0.0 ]
[ "$(as_ops sed -n 's/^CACHE_TTL_CHARITIES=//p' "$APP/.env")" = 7200 ]

# This session's v1.2.0: the developers named the new database setting differently in every
# build, so the answer is read from the release, not remembered. Same tree otherwise, same
# dates, same parent; the original objects are pruned so only this build exists.
old=$(git_ops rev-parse 'v1.2.0^{commit}')
parent=$(git_ops rev-parse "$old^")
index=/tmp/.setup-index.$$
trap 'rm -f "$index"' EXIT
as_ops env -C "$APP" GIT_INDEX_FILE="$index" git read-tree "$old"
for file in src/config.js .env.example CHANGELOG.md; do
    mode=$(git_ops ls-tree "$old" -- "$file" | awk '{print $1}')
    blob=$(git_ops show "$old:$file" | sed "s/DATABASE_PRIMARY_URL/$LAB_SETTING/g" | git_ops hash-object -w --stdin)
    as_ops env -C "$APP" GIT_INDEX_FILE="$index" git update-index --cacheinfo "$mode,$blob,$file"
done
tree=$(as_ops env -C "$APP" GIT_INDEX_FILE="$index" git write-tree)
IFS=$'\t' read -r an ae ad cn ce cd < <(git_ops log -1 --format=$'%an\t%ae\t%ad\t%cn\t%ce\t%cd' --date=raw "$old")
msg=$(git_ops log -1 --format=%B "$old")
new=$(as_ops env -C "$APP" GIT_AUTHOR_NAME="$an" GIT_AUTHOR_EMAIL="$ae" GIT_AUTHOR_DATE="$ad" \
    GIT_COMMITTER_NAME="$cn" GIT_COMMITTER_EMAIL="$ce" GIT_COMMITTER_DATE="$cd" \
    git commit-tree "$tree" -p "$parent" -m "$msg")
tagger_date=$(git_ops for-each-ref --format='%(taggerdate:raw)' refs/tags/v1.2.0)
as_ops env -C "$APP" GIT_COMMITTER_NAME="$cn" GIT_COMMITTER_EMAIL="$ce" GIT_COMMITTER_DATE="$tagger_date" \
    git tag -f -a v1.2.0 -m "Release v1.2.0" "$new" >/dev/null
git_ops update-ref refs/heads/main "$new"
git_ops reflog expire --expire=now --all
git_ops prune --expire=now
grep -q "$LAB_SETTING" <(git_ops show v1.2.0:src/config.js)
[ "$(git_ops describe --tags --exact-match HEAD)" = v1.0.0 ]

# Commit timestamps let the checks tell when the migrations really committed (a hand-written
# history line or schema_migrations row has no way to move them).
runuser -u postgres -- psql -X -q -At -c "ALTER SYSTEM SET track_commit_timestamp = on"
systemctl restart postgresql
for _ in $(seq 50); do
    runuser -u postgres -- psql -X -At -c 'SHOW track_commit_timestamp' 2>/dev/null | grep -qx on && break
    sleep 0.2
done
impactlink-ready --wait 30

install -d -o impactlink -g impactlink "$HOME_DIR/changes"
cat >"$HOME_DIR/changes/CHG-$LAB_CHANGE.md" <<TICKET
# CHG-$LAB_CHANGE: release v1.1.0 to staging

Requested by: Finance (Section 18A tax receipts)
Environment:  staging (impactlink-staging)
Release:      v1.1.0 (migration 002_charity_section18a)

## What finance needs

1. Charity lists show each charity's Section 18A status, and
   \`GET /api/v1/charities?section18a=true\` lists only the charities that may issue tax receipts.
2. When SARS approves a charity, donors must see it on the charity list at most
   **$LAB_TTL_MINUTES minutes** later. Charity lists are cached in Redis for
   \`CACHE_TTL_CHARITIES\` seconds (today 7200, two hours), so that setting has to change on this
   server together with the release.

## Acceptance on staging

- v1.1.0 deployed with ~/scripts/deploy.sh (pre-deploy backup taken, migration applied by the
  script), health and version verified through Nginx.
- The API really uses the new cache lifetime.
- v1.2.0, the next release, was tried on staging and rolled back: production must not get it
  until the developers fix it. Record what it is missing, and which backup takes the database
  back to the schema from before it.
TICKET
chown impactlink:impactlink "$HOME_DIR/changes/CHG-$LAB_CHANGE.md"
