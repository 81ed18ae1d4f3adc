#!/bin/bash
# forgery: Type the usual suspects (the API's log, the backup dump, PostgreSQL's WAL) without reading the server
# class: answers
# targets: root-cause
[ "$1" = after ] || exit 0
for value in app.log impactlink_prod.dump pg_wal; do
    echo "ANSWER: culprit $value"
done
