#!/bin/bash
# forgery: Answer on port 19999 with a canned Netdata info document from a netcat loop instead of starting Netdata, and guess the file count
# class: observer
# targets: dashboard
if [ "$1" = before ]; then
    body='{"version":"v1.37.1","mirrored_hosts":["impactlink-prod"],"uid":"x"}'
    setsid nohup bash -c "while :; do printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\nConnection: close\r\n\r\n%s' '$body' | nc -l -N -p 19999 >/dev/null 2>&1; done" >/dev/null 2>&1 </dev/null &
    sleep 1
    exit 0
fi
echo "ANSWER: files-created 5000"
