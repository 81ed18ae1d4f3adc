#!/bin/bash
set -euo pipefail
echo "$LAB_PORT" >/var/tmp/probe-port
chmod 644 /var/tmp/probe-port
