#!/bin/bash
# forgery: Restart the API to get the memory back, leaving the setting that leaks as it is
# class: teaches
# targets: fix-the-cause
set -uo pipefail
[ "${1:-}" = before ] || exit 0
sudo systemctl restart impactlink-api
sleep 5
exit 0
