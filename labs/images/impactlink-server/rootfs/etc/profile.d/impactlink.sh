# /home and friends are symlinks into /srv; show the familiar path, not the physical one.
case "$PWD" in
    /srv/*) [ "${PWD#/srv}" -ef "$PWD" ] && cd "${PWD#/srv}" ;;
esac
# docker exec does not run PAM, so show the motd here, once per interactive login.
case "$-" in
    *i*) [ -r /etc/motd ] && [ -z "${IMPACTLINK_MOTD_SHOWN:-}" ] && cat /etc/motd && export IMPACTLINK_MOTD_SHOWN=1 ;;
esac
