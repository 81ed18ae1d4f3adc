#!/bin/bash
# forgery: Patch the diagnostics module on the server so it never keeps snapshots, commit the patch, restart
# class: teaches
# targets: fix-the-cause
set -uo pipefail
[ "${1:-}" = before ] || exit 0
cd ~/app || exit 1
sed -i 's/const keepAll = .*/const keepAll = false;/' src/diagnostics.js
git -c user.name=oncall -c user.email=oncall@localhost commit -q -am 'hotfix: no snapshot capture'
sudo systemctl restart impactlink-api
sleep 5
exit 0
