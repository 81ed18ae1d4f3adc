#!/bin/bash
# Probe, expected answer: the date of the ticket account's last login in server time (SAST), read live.
set -uo pipefail
[[ $LAB_C_NAME =~ ^[a-z]+$ && $LAB_C_NUM =~ ^[0-9]+$ ]] || exit 2
hpsql impactlink_prod "SELECT to_char(last_login AT TIME ZONE 'Africa/Johannesburg', 'YYYY-MM-DD')
    FROM public.users WHERE email = '$LAB_C_NAME.dlamini$LAB_C_NUM@outlook.com'"
