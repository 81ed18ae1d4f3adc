#!/bin/bash
# forgery: Restart Redis to "clear the cache" instead of deleting the stale keys
# class: teaches
# targets: stale-cache
[ "$1" = before ] || exit 0
sudo systemctl restart redis-server
sleep 1
