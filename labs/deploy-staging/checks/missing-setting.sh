#!/bin/bash
# Compute: the setting v1.2.0 introduces in .env.example that v1.1.0 did not have.
set -euo pipefail
keys() {
    runuser -u impactlink -- git -C /home/impactlink/app show "$1:.env.example" |
        sed -n 's/^\([A-Z][A-Z0-9_]*\)=.*/\1/p' | sort -u
}
comm -13 <(keys v1.1.0) <(keys v1.2.0) | head -n 1
