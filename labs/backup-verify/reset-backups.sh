#!/bin/bash
# Remove every backup set so the task starts again from none.
set -euo pipefail
rm -rf /var/backups/impactlink/2* /var/backups/impactlink/latest /var/backups/impactlink/latest-database
