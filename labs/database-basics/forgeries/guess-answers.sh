#!/bin/bash
# forgery: Answer without the report or the size: the seed's database size, zero, and the whole month's total over every charity
# class: answers
# targets: report
[ "$1" = after ] || exit 0
echo "ANSWER: database-size 23"
echo "ANSWER: database-size 22"
echo "ANSWER: report-total 0"
month=$(psql -X -At -d impactlink_prod -c "SELECT to_char(now() - interval '3 months', 'YYYY-MM')")
echo "ANSWER: report-total $(psql -X -At -d impactlink_prod -c "SELECT sum(amount) FROM donations
    WHERE payment_status = 'completed' AND to_char(created_at, 'YYYY-MM') = '$month'")"
