#!/bin/bash
# Probe, expected answer: the size of impactlink_prod in MB, as pg_size_pretty rounds it, read
# live (setup left an import table of this session's size in it).
set -uo pipefail
hpsql impactlink_prod "SELECT round(pg_database_size('impactlink_prod') / 1048576.0)"
