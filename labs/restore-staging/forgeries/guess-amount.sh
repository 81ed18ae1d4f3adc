#!/bin/bash
# forgery: Answer support without restoring anything: typical donation amounts, one after another
# class: answers
# targets: restore
[ "$1" = after ] || exit 0
for amount in 500 1000 250 100 2500 5000 750 1500 200 300; do echo "ANSWER: support-answer $amount"; done
