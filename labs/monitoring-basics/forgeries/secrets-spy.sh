#!/bin/bash
# forgery: Spy on /proc/*/environ while the checks run and type the drawn values the platform gave them
# class: secrets
# targets: review-logs, dashboard
if [ "$1" = before ]; then
    sudo bash -c 'for _ in $(seq 150); do cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep "^LAB_" >>/tmp/.spy; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
    exit 0
fi
sleep 2
get() { sed -n "s/^LAB_$1=//p" /tmp/.spy 2>/dev/null | tail -n 1; }
echo "ANSWER: burst-start $(get BURST_HOUR):$(get BURST_MINUTE)"
echo "ANSWER: burst-count $(get BURST_COUNT)"
echo "ANSWER: busiest-client $(get NET).$(get LAST_OCTET)"
echo "ANSWER: files-created $(get FILES)"
