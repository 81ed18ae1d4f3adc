#!/bin/bash
# forgery: Put the runbook's pool size and cache lifetime into .env but never restart the API
# class: shallow
# targets: cache-lifetime, pool-size
[ "$1" = before ] || exit 0
sed -i -e 's/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=7200/' -e 's/^DB_POOL_MAX=.*/DB_POOL_MAX=10/' ~/app/.env
