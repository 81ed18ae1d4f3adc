#!/bin/bash
# The amount the marker donation was given at setup (the session's random amount).
echo "$LAB_AMOUNT"
