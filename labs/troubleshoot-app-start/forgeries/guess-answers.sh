#!/bin/bash
# forgery: Type the usual suspects (the setting the runbook names, the API user's own uid, the web framework) without reading the server
# class: answers
# targets: root-cause
[ "$1" = after ] || exit 0
for value in DATABASE_URL 1000 express; do
    echo "ANSWER: culprit $value"
done
