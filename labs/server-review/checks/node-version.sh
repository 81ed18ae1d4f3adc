#!/bin/bash
# Probe, expected answer: the Node.js version of the server's image (the probe runs the same image).
set -uo pipefail
/usr/bin/node --version
