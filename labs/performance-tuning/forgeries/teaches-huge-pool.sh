#!/bin/bash
# forgery: Make the pool as big as possible (more than PostgreSQL's max_connections) and restart, instead of sizing it
# class: teaches
# targets: pool-size
[ "$1" = before ] || exit 0
sed -i 's/^DB_POOL_MAX=.*/DB_POOL_MAX=200/' ~/app/.env
sudo systemctl restart impactlink-api
sleep 3
