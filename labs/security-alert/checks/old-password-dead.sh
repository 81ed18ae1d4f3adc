#!/bin/bash
# Probe: the leaked password is no longer the database role's password. Judged on the role's
# stored verifier itself (read as the superuser), so no pg_hba.conf rule that refuses one way in
# can stand in for a rotation; a login attempt over the socket must be refused as well.
set -uo pipefail
: "${LAB_DBPW:?}"
# matches VERIFIER: for each password on stdin (one a line), print 1 when it is the one the
# role's SCRAM (or md5) verifier was made from, else 0.
matches() {
    VERIFIER=$1 /usr/bin/perl -MDigest::SHA=hmac_sha256,sha256 -MDigest::MD5=md5_hex -MMIME::Base64 -ne '
        chomp(my $pw = $_);
        my $v = $ENV{VERIFIER};
        if ($v =~ /^SCRAM-SHA-256\$(\d+):([^\$]+)\$([^:]+):/) {
            my ($iter, $salt, $stored) = ($1, decode_base64($2), decode_base64($3));
            my $u = hmac_sha256($salt . pack("N", 1), $pw);
            my $t = $u;
            for (2 .. $iter) { $u = hmac_sha256($u, $pw); $t ^= $u }
            print sha256(hmac_sha256("Client Key", $t)) eq $stored ? "1\n" : "0\n";
        } elsif ($v =~ /^md5([0-9a-f]{32})$/) {
            print md5_hex($pw . "impactlink") eq $1 ? "1\n" : "0\n";
        } else {
            print "0\n";
        }'
}
verifier=$(hpsql impactlink_prod "SELECT rolpassword FROM pg_authid WHERE rolname = 'impactlink'" 2>/dev/null)
if [ -z "$verifier" ]; then
    obs pg_up 0
    exit 0
fi
obs pg_up 1
obs old_is_current "$(matches "$verifier" <<<"$LAB_DBPW")"
out=$(PGPASSWORD=$LAB_DBPW PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=5 /usr/bin/psql -X -At \
    -h "$ACADEMY_PG_SOCKET" -U impactlink -d impactlink_prod -c 'SELECT 1' 2>&1)
case $out in
    1) obs old_login accepted ;;
    *"password authentication failed"*) obs old_login refused ;;
    *) obs old_login other ;;
esac
