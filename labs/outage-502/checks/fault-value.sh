#!/bin/bash
# Compute: the wrong value the trainee found (the port, or the misspelt setting name).
case ${LAB_FAULT:?} in
    upstream-port | api-port) echo "${LAB_PORT:?}" ;;
    env-typo)
        case ${LAB_SETTING:?} in
            DATABASE_URL) echo DATABSAE_URL ;;
            REDIS_URL) echo REDIS_ULR ;;
            JWT_SECRET) echo JWT_SERCET ;;
        esac
        ;;
esac
