#!/bin/bash
# forgery: Promote by first name (every donor with the colleague's first name) and demote by first name too, instead of by the ticket's address
# class: teaches
# targets: promote, demote
[ "$1" = before ] || exit 0
sql() { psql -X -q -At -d impactlink_prod "$@"; }
first=$(sql -c "SELECT first_name FROM users WHERE email LIKE '%.naidoo%@impactlink.org.za'")
leaver=$(sql -c "SELECT first_name FROM users WHERE email LIKE '%.botha%@impactlink.org.za'")
sql -c "UPDATE users SET user_type = 'admin' WHERE first_name = '$first' AND user_type = 'donor'"
sql -c "UPDATE users SET user_type = 'donor' WHERE first_name = '$leaver' AND user_type = 'admin'"
