#!/bin/bash
# forgery: Type the PIDs of ps aux | grep node without telling the grep's line from the API's: the last line first, then one past the first
# class: answers
# targets: api-process
[ "$1" = after ] || exit 0
lines=$(ps aux | grep node)
echo "ANSWER: api-pid $(tail -n 1 <<<"$lines" | awk '{print $2}')"
echo "ANSWER: api-pid $(( $(head -n 1 <<<"$lines" | awk '{print $2}') + 1 ))"
