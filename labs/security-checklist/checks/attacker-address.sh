#!/bin/bash
# Compute: the address the password guessing comes from, the scanner host on the server's network.
set -uo pipefail
getent ahostsv4 scanner | awk 'NR == 1 {print $1}'
