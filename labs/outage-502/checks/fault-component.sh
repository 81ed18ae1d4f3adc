#!/bin/bash
# Compute: which side was misconfigured this session.
case ${LAB_FAULT:?} in
    upstream-port) echo nginx ;;
    api-port | env-typo) echo api ;;
esac
