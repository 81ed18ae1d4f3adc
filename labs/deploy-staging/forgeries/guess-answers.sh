#!/bin/bash
# forgery: Do the deployments with the scripts, then guess the answers: the name the lessons and the image use, then counting through backup names
# class: answers
# targets: reject-v120
cd ~/app || exit 1
if [ "$1" = before ]; then
    ~/scripts/deploy.sh v1.1.0 >/dev/null 2>&1
    ~/scripts/deploy.sh v1.2.0 >/dev/null 2>&1
    ~/scripts/rollback.sh v1.1.0 --yes >/dev/null 2>&1
    exit 0
fi
for name in DATABASE_PRIMARY_URL DATABASE_REPLICA_URL DATABASE_URL; do
    echo "ANSWER: missing-setting $name"
done
for s in $(seq 0 5); do
    echo "ANSWER: restore-point $(date -d "-$s sec" +%Y%m%d-%H%M%S)-database-pre-deploy-v1.2.0"
done
