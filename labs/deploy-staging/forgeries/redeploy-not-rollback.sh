#!/bin/bash
# forgery: After v1.2.0 fails, deploy v1.1.0 again with deploy.sh instead of rolling back with rollback.sh
# class: teaches
# targets: reject-v120
cd ~/app || exit 1
if [ "$1" = before ]; then
    ~/scripts/deploy.sh v1.1.0 >/dev/null 2>&1
    ~/scripts/deploy.sh v1.2.0 >/dev/null 2>&1
    ~/scripts/deploy.sh v1.1.0 >/dev/null 2>&1
    exit 0
fi
echo "ANSWER: missing-setting $(git diff v1.1.0 v1.2.0 -- .env.example | sed -n 's/^+\([A-Z][A-Z0-9_]*\)=.*/\1/p' | head -n 1)"
echo "ANSWER: restore-point $(ls /var/backups/impactlink | grep pre-deploy-v1.2.0 | head -n 1)"
