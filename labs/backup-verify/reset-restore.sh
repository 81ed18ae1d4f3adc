#!/bin/bash
# Drop the scratch database so the restore can be done again from the start.
set -euo pipefail
runuser -u postgres -- dropdb --if-exists --force impactlink_verify
