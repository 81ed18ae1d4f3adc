#!/bin/bash
# Probe, expected answer: the total of the completed donations to the ticket's charity created in
# the ticket's month, in server time (SAST), read live.
set -uo pipefail
charity=${LAB_CHARITY//\'/\'\'}
[[ $LAB_MONTH =~ ^[0-9]{4}-[0-9]{2}$ ]] || exit 2
hpsql impactlink_prod "SELECT coalesce(sum(d.amount), 0) FROM public.donations d JOIN public.charities c ON c.id = d.charity_id
      WHERE c.name = '$charity' AND d.payment_status = 'completed'
        AND (d.created_at AT TIME ZONE 'Africa/Johannesburg') >= '$LAB_MONTH-01'::timestamp
        AND (d.created_at AT TIME ZONE 'Africa/Johannesburg') < '$LAB_MONTH-01'::timestamp + interval '1 month'"
