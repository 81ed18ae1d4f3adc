#!/bin/bash
# Probe: health through Nginx is 200 and comes from the real API. A charity written into the
# database now (a random province, name and registration number) must come back through Nginx
# from the database on the first request and from the API's Redis cache on the second, after the
# row was renamed under it; and the health answer's uptime must match a node process in the host's
# process table (taken by the Docker engine). Nothing static, forwarded or canned can do all that.
set -uo pipefail
# The observations are the probe prelude's (app/sandboxes/probe_prelude.sh), shared by every lab
# that asks whether the real API answers again.
real_api_observations
exit 0
