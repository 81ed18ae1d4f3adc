#!/bin/bash
# Probe: SSH lets people in with their own keys only. The configuration sshd would use (sshd -T on
# the host's own files, drop-ins and Match blocks included) refuses passwords and root passwords;
# the running daemon, asked from the network, offers nothing but public keys (so it was reloaded);
# root has no keys; impactlink's authorized_keys holds the keys it was built with and no other.
set -uo pipefail
install -d -m 700 /run/sshd 2>/dev/null
me=$(hostname -i 2>/dev/null | awk '{print $1}')
effective() {  # user -> "passwordauthentication kbdinteractiveauthentication permitrootlogin"
    /usr/sbin/sshd -T -f /etc/ssh/sshd_config -C "user=$1,host=probe,addr=${me:-10.0.0.1},laddr=$HOST_IP,lport=22" 2>/dev/null |
        awk '$1 == "passwordauthentication" {p = $2} $1 == "kbdinteractiveauthentication" {k = $2} $1 == "permitrootlogin" {r = $2}
             END {print p, k, r}'
}
read -r pw kbd _ <<<"$(effective impactlink)"
read -r rpw rkbd root <<<"$(effective root)"
obs passwords_off "$([ "$pw $kbd $rpw $rkbd" = "no no no no" ] && echo 1 || echo 0)"
obs root_login "$root"

# What the running daemon offers an unknown client.
offered=$(/usr/bin/ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=4 -o IdentitiesOnly=yes -o IdentityFile=/dev/null "probe-$RANDOM@$HOST_IP" true 2>&1 |
    sed -n 's/.*Permission denied (\(.*\)).*/\1/p' | tail -n 1)
obs daemon_answers "$([ -n "$offered" ] && echo 1 || echo 0)"
obs daemon_keys_only "$([ "$offered" = publickey ] && echo 1 || echo 0)"

# Keys: none for root; impactlink's own key(s) from the build, and nothing else.
keys() { sed -e 's/\r$//' "$1" 2>/dev/null | grep -Eo '(ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+' | awk '{print $2}' | sort -u; }
root_keys=$(keys /root/.ssh/authorized_keys | wc -l)
obs root_keys "$root_keys"
mine=/home/impactlink/.ssh/authorized_keys
obs team_keys_as_built "$([ -f "$mine" ] && [ ! -L "$mine" ] && [ "$(keys "$mine")" = "$(keys "/opt/srv-seed$mine")" ] && echo 1 || echo 0)"
exit 0
