#!/bin/bash
set -euo pipefail
echo "$LAB_MARKER" >"/home/impactlink/probe-$LAB_MARKER.txt"
sudo -u postgres psql -X -q -d impactlink_prod -c "INSERT INTO users (email, password_hash, user_type, first_name, last_name)
  VALUES ('$LAB_MARKER@probe.test', 'x', 'donor', 'Probe', 'Trainee')"
echo "ANSWER: port-answer $(cat /var/tmp/probe-port)"
echo up > /home/impactlink/flag
