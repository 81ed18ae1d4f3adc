#!/bin/bash
# Compute: the public address of this session's brute force.
echo "102.${LAB_ATTACKER_NET:?}.${LAB_ATTACKER_HOST:?}.17"
