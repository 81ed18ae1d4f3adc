"""`academy bench load`: drive a running platform the way a cohort does, and time it.

Scratch trainees are made in the server's database, log in over HTTP, and for a fixed time read
lessons, save quiz answers, keep lab pages open (status polls, continuous checks, Check presses)
and terminals with output flowing, while a burst of lab starts is timed. Everything goes through
the real pages and sockets of the server; the bench only talks to 127.0.0.1.

Modules: `stats` (percentiles, the report and its JSON), `pages` (what the bench reads from
HTML), `browser` (one trainee's cookies, CSRF token and keep-alive connections), `terminals`
(terminal sockets), `actors` (what each simulated page does), `accounts` (the scratch trainees),
`diagnose` (the server's own timings of check runs and starts), `scenario` (the run), `cli`,
and `cpu` (CPU per process tree and sandboxes, sampled by scripts/bench-load.sh).
"""
