#!/bin/bash
# server-review setup on ns1 (root): the team's DNS server for the exercise, dnsmasq answering
# for the production domain with this session's records (no upstream, nothing else).
set -euo pipefail
: "${LAB_A_C:?}" "${LAB_A_D:?}" "${LAB_TTL:?}" "${LAB_VERIFY:?}"
command -v dnsmasq >/dev/null || { echo "dnsmasq is not installed in this image" >&2; exit 1; }
DOMAIN=impactlink.solovedhelpinghands.org.za
ZONE=solovedhelpinghands.org.za
address=$(hostname -I | awk '{print $1}')
dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root --bind-interfaces \
    --listen-address="$address" --port=53 --local-ttl="$LAB_TTL" --local="/$ZONE/" \
    --host-record="$DOMAIN,41.76.$LAB_A_C.$LAB_A_D" \
    --cname="www.$DOMAIN,$DOMAIN" \
    --txt-record="$DOMAIN,impactlink-site-verification=$LAB_VERIFY" \
    --txt-record="$ZONE,v=spf1 mx -all" \
    --mx-host="$ZONE,mail.$ZONE,10" \
    --host-record="mail.$ZONE,41.76.$LAB_A_C.$(( (LAB_A_D + 7) % 250 + 2 ))" \
    --pid-file=/run/dnsmasq.pid --log-facility=/var/log/dnsmasq.log
# ns1 is only a DNS server: the application stack its image also starts stays off (in the
# background, so that the trainee's start does not wait for it).
setsid bash -c 'for unit in impactlink-traffic netdata node-exporter nginx impactlink-api redis-server postgresql cron; do
    systemctl stop "$unit"; done' </dev/null >/dev/null 2>&1 &
for _ in $(seq 25); do
    [ "$(dig +short +time=1 +tries=1 @"$address" "$DOMAIN" A)" = "41.76.$LAB_A_C.$LAB_A_D" ] && exit 0
    sleep 0.2
done
echo "dnsmasq does not answer for $DOMAIN" >&2
exit 1
