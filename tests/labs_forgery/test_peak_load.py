"""peak-load: answers from elsewhere, and a stopped process that cron restarts, must fail."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_answers_that_are_not_this_servers_fail(bench):
    box = bench("peak-load", resource="memory")
    api_pid = box.run("pgrep -u impactlink -x node | head -n 1").strip()
    offender = box.run('pgrep -x "$LAB_JOB"').strip()
    assert box.outcomes(
        "offender-pid",
        "saturated-resource",
        answers={"offender-pid": api_pid, "saturated-resource": "cpu"},
    ) == {"offender-pid": "failed", "saturated-resource": "failed"}
    assert box.outcomes(
        "offender-pid",
        "saturated-resource",
        answers={"offender-pid": offender, "saturated-resource": "memory"},
    ) == {"offender-pid": "passed", "saturated-resource": "passed"}


def test_killing_the_job_but_leaving_its_cron_line_fails(bench):
    box = bench("peak-load", resource="cpu")
    # Cron may already have started the job again when the check runs; either way its line
    # is still there, so the task is not done.
    box.run('kill "$(pgrep -x "$LAB_JOB")"')
    assert box.outcomes("offender-stopped") == {"offender-stopped": "failed"}


def test_deleting_the_file_a_running_job_writes_fails(bench):
    box = bench("peak-load", resource="disk")
    # The obvious "free some space": delete the big log. The writer still holds it open.
    box.run('crontab -l | grep -v "$LAB_JOB" | crontab -')
    box.run('rm -f /var/log/impactlink/"$LAB_JOB"-debug.log')
    full = box.run("df -P /srv | awk 'NR == 2 {print int($5)}'").strip()
    assert int(full) >= 85
    assert box.outcomes("offender-stopped") == {"offender-stopped": "failed"}
