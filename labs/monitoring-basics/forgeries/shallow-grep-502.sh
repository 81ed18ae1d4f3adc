#!/bin/bash
# forgery: Count and date the 502s with grep ' 502 ' instead of comparing the status field
# class: shallow
# targets: review-logs
[ "$1" = after ] || exit 0
log=/var/log/nginx/access.log.1
first=$(sudo zgrep -h ' 502 ' $log | head -n 1)
echo "ANSWER: burst-start $(awk '{print substr($4, 14, 5)}' <<<"$first")"
echo "ANSWER: burst-count $(sudo zgrep -c ' 502 ' $log)"
echo "ANSWER: busiest-client $(sudo zcat -f $log | awk '$1 != "127.0.0.1" {print $1}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')"
