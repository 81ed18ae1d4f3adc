#!/bin/bash
# forgery: Answer from habits instead of reading: the renewal threshold and a fresh certificate's lifetime, the address the server itself resolves the name to, round TTLs
# class: answers
# targets: certificate, dns
[ "$1" = after ] || exit 0
for days in 30 90; do echo "ANSWER: days-left $days"; done
echo "ANSWER: a-record $(getent hosts impactlink.solovedhelpinghands.org.za | awk '{print $1}')"
echo "ANSWER: a-record 127.0.0.1"
for ttl in 60 86400 0; do echo "ANSWER: a-ttl $ttl"; done
echo "ANSWER: site-verification impactlink"
