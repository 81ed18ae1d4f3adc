#!/bin/bash
# forgery: Answer the usual wrong ports of the runbook's incidents without reading the server
# class: answers
# targets: web
[ "$1" = after ] || exit 0
echo "ANSWER: wrong-port 3000"
echo "ANSWER: wrong-port 5001"
