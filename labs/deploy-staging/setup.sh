#!/bin/bash
# deploy-staging setup (root): turn the replica into the staging server running v1.0.0 and
# leave the change request for this session on it.
set -euo pipefail
: "${LAB_TTL_MINUTES:?}" "${LAB_CHANGE:?}"
HOME_DIR=/home/impactlink
as_ops() { runuser -u impactlink -- "$@"; }

# Staging, not production: a yellow prompt, so screenshots and recordings say where this ran.
sed -i 's/^PS1=.*/PS1='"'"'\\[\\e[1;33m\\][STAGING]\\[\\e[0m\\] \\[\\e[1;32m\\]\\u@\\h\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ '"'"'/' \
    "$HOME_DIR/.bashrc"
sed -i 's/^# Red \[PROD\].*/# Yellow [STAGING]: this is the staging server./' "$HOME_DIR/.bashrc"
# /etc/motd (read-only here) describes production; say where this shell really is.
cat >>"$HOME_DIR/.bashrc" <<'BANNER'
case $- in *i*) printf '\n  \e[1;33m>>> STAGING: impactlink-staging, a copy of production for testing <<<\e[0m\n\n' ;; esac
BANNER

# The server starts on the previous release, exactly as production runs it today.
[ "$(as_ops git -C "$HOME_DIR/app" describe --tags --exact-match HEAD)" = v1.0.0 ]
[ "$(as_ops sed -n 's/^CACHE_TTL_CHARITIES=//p' "$HOME_DIR/app/.env")" = 7200 ]

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
  until the developers fix it. Record what it is missing.
TICKET
chown impactlink:impactlink "$HOME_DIR/changes/CHG-$LAB_CHANGE.md"
