#!/bin/bash
# forgery: Move the biggest item out of the way (to a folder in the home directory, on the same disk) and restart the API
# class: shallow
# targets: free-space
[ "$1" = before ] || exit 0
biggest=$(sudo du -xsb /srv/var/log/impactlink/* /srv/var/backups/impactlink/* /srv/var/tmp/* 2>/dev/null | sort -n | tail -n 1 | cut -f2-)
mkdir -p ~/parked
sudo mv -- "$biggest" ~/parked/
sudo systemctl restart impactlink-api
sleep 5
