#!/bin/bash
# forgery: Type the runbook's port, then count up through the ports after it, without reading the server
# class: answers
# targets: root-cause
[ "$1" = after ] || exit 0
for value in 5000 5001 5002 5003 5004 5005; do
    echo "ANSWER: fault-value $value"
done
