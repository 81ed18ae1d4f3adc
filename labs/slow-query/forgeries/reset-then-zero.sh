#!/bin/bash
# forgery: Reset pg_stat_statements and answer 0 calls (the statistics then agree with any count typed)
# class: answers
# targets: find-query
if [ "$1" = before ]; then
    sudo -u postgres psql -X -q -d impactlink_prod -c "SELECT pg_stat_statements_reset()" >/dev/null
    exit 0
fi
echo "ANSWER: slow-query-calls 0"
echo "ANSWER: slow-query-calls 1"
