#!/bin/bash
# Probe: nothing spins on the CPU any more (judged by what processes do, never by their names),
# the copy of the runaway that setup started was stopped with SIGTERM (only then does it write the
# session's seal, which nothing in the sandbox knows, into the jobs log; the platform compares),
# and no service was restarted or killed on the way (their ages against the boot's own processes,
# from the engine's process table).
set -uo pipefail
PS=$ACADEMY_RUN/ps

# Busy: alive for two seconds or more and a third of a CPU on average since it started, or
# runnable right now with a good share of a CPU while still young (a fresh copy on a shared CPU).
# A paused (SIGSTOP) runaway keeps its average, so it counts until it has really gone.
obs busy_procs "$(awk 'NR > 1 && $5 >= 2 && ($3 >= 30 || ($6 ~ /^R/ && $3 >= 15 && $5 < 120))' "$PS" | wc -l)"

# The checkpoints written on SIGTERM; at most a few tokens of the expected shape are taken, so a
# log stuffed with guesses proves nothing.
checkpoints=$(grep -ahoE 'SIGTERM after [0-9]+ s: checkpoint [a-z][a-z0-9]{23} saved' /var/log/impactlink/jobs.log 2>/dev/null |
    awk '{print $6}' | head -n 5 | tr '\n' ',')
obs term_checkpoints ",$checkpoints"

# Services: the boot starts them together, then waits; every process that is not PID 1 or the boot
# script itself and is still as old as that wait is a boot-time process. A service process much
# younger than the oldest of those was restarted (or killed and started again).
restarted=$(awk '
    NR == 1 { next }
    $1 != 1 && $7 != "impactlink-boot" && $7 != "tini" && $5 > boot { boot = $5 }
    $7 == "node" && $8 ~ /node$/ && $9 == "server.js" && $5 > age["api"] { age["api"] = $5 }
    $7 == "postgres" && $5 > age["postgresql"] { age["postgresql"] = $5 }
    $7 == "redis-server" && $5 > age["redis"] { age["redis"] = $5 }
    $7 == "nginx" && / master process/ && $5 > age["nginx"] { age["nginx"] = $5 }
    END {
        n = 0
        split("api postgresql redis nginx", names, " ")
        for (i in names) if (!(names[i] in age) || boot - age[names[i]] > 5) n++
        print n
    }' "$PS")
obs restarted_services "$restarted"
obs api_status "$(hcurl -s -o /dev/null -w '%{http_code}' --max-time 8 "https://$ACADEMY_DOMAIN/api/v1/health")"
exit 0
