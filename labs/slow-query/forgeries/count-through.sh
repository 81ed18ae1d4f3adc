#!/bin/bash
# forgery: Count up through round numbers of calls (17 tries) without reading the statistics
# class: answers
# targets: find-query
[ "$1" = after ] || exit 0
for calls in $(seq 100 10 260); do
    echo "ANSWER: slow-query-calls $calls"
done
