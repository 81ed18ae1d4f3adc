#!/bin/bash
# forgery: Start Netdata, then answer the file count with the inodes used on /srv at one moment instead of the size of the jump
# class: answers
# targets: dashboard
[ "$1" = after ] || exit 0
sudo systemctl start netdata
sleep 3
echo "ANSWER: files-created $(df -P -i /srv | awk 'NR == 2 {print $3}')"
echo "ANSWER: files-created $(ls /var/tmp 2>/dev/null | wc -l)"
