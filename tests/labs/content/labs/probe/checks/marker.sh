#!/bin/bash
f=/home/impactlink/probe-$LAB_MARKER.txt
[ -f "$f" ] || { echo "FAIL: The marker file is missing."; echo "HINT: echo the marker into it"; exit 1; }
echo "DETAIL: $(stat -c %s "$f") bytes"
