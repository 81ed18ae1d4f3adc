#!/bin/bash
# forgery: Type the usual throttles without reading the configuration or fixing anything
# class: answers
# targets: fix-the-delay
[ "${1:-}" = after ] || exit 0
echo "ANSWER: slowing-directive limit_rate 2k"
echo "ANSWER: slowing-directive limit_req zone=api burst=20"
