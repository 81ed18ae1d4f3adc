#!/bin/bash
# Probe, expected answer: the PostgreSQL version number as psql --version prints it (same image).
set -uo pipefail
/usr/bin/psql --version | awk '{print $3}'
