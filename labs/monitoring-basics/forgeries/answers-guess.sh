#!/bin/bash
# forgery: Type the likely answers without reading the log: the backup hour, round numbers, the loopback address
# class: answers
# targets: review-logs
[ "$1" = after ] || exit 0
for a in 02:00 03:00 04:00; do echo "ANSWER: burst-start $a"; done
for a in 10 20 30; do echo "ANSWER: burst-count $a"; done
for a in 127.0.0.1 10.0.0.1 192.168.1.1; do echo "ANSWER: busiest-client $a"; done
