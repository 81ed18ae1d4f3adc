#!/bin/bash
# Probe, expected answer: the id of the ticket's account, read live.
set -uo pipefail
[[ $LAB_C_NAME =~ ^[a-z]+$ && $LAB_C_NUM =~ ^[0-9]+$ ]] || exit 2
hpsql impactlink_prod "SELECT id FROM public.users WHERE email = '$LAB_C_NAME.dlamini$LAB_C_NUM@outlook.com'"
