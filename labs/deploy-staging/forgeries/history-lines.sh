#!/bin/bash
# forgery: Append the deploy, failure and rollback lines to ~/.deploy-history and deploy.log instead of running the scripts
# class: shallow
# targets: deploy-v110, reject-v120
[ "$1" = before ] || exit 0
cd ~/app || exit 1
v110=$(git rev-parse --short 'v1.1.0^{commit}')
v120=$(git rev-parse --short 'v1.2.0^{commit}')
now() { date -Is; }
stamp() { date '+%F %T'; }
{
    echo "$(now) deploy v1.1.0 ok $v110"
    echo "$(now) deploy v1.2.0 FAILED $v120"
    echo "$(now) rollback v1.1.0 ok $v110"
} >>~/.deploy-history
sudo tee -a /var/log/impactlink/deploy.log >/dev/null <<LOG
[$(stamp)] === DEPLOY OK: v1.1.0 is live ===
[$(stamp)] === ROLLBACK OK: v1.1.0 is live ===
LOG
