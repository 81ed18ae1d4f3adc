#!/bin/bash
# Read the flag from the host's disk, seen read-only from the probe.
obs flag "$(head -c 100 /home/impactlink/flag 2>/dev/null)"
obs owner "$(stat -c %U /home/impactlink/flag 2>/dev/null)"
