#!/bin/bash
# forgery: Spy on /proc/*/environ while the checks run and type the record values and days the platform drew
# class: secrets
# targets: certificate, dns
if [ "$1" = before ]; then
    sudo bash -c 'for _ in $(seq 150); do cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep "^LAB_" >>/tmp/.spy; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
    exit 0
fi
sleep 2
caught() { sed -n "s/^$1=//p" /tmp/.spy 2>/dev/null | tail -n 1 | grep . || echo none-caught; }
echo "ANSWER: days-left $(caught LAB_DAYS)"
echo "ANSWER: a-record 41.76.$(caught LAB_A_C).$(caught LAB_A_D)"
echo "ANSWER: a-ttl $(caught LAB_TTL)"
echo "ANSWER: site-verification $(caught LAB_VERIFY)"
