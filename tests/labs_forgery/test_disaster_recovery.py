"""disaster-recovery: a restore that is not a point-in-time recovery to the right moment fails."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CHECKS = ("data-recovered", "service-restored")
# "Now" as the target: after the cleanup, so that recovery would have replayed it.
INVENTED_TARGET = """
now=$(date '+%Y-%m-%d %H:%M:%S %Z')
sed -i -E "s/^Recovery target time: .*/Recovery target time: $now/" ~/dr-report.md
"""


def solve_with(box, old: str, new: str) -> None:
    """Run the reference solution with one line of it changed."""
    script = box.lab.solve[0].script.text
    assert old in script
    box.run(script.replace(old, new))


def test_restoring_only_the_base_backup_fails(bench):
    box = bench("disaster-recovery")
    # No recovery at all: the base backup with its own WAL, started as it is.
    solve_with(box, 'sudo -u postgres touch "$DATA/recovery.signal"', "true")
    assert box.outcomes(*CHECKS)["data-recovered"] == "failed"


def test_replaying_all_the_archived_wal_fails(bench):
    box = bench("disaster-recovery")
    # A recovery without a target replays the cleanup too.
    solve_with(box, "recovery_target_time = '$target'", "")
    assert box.outcomes(*CHECKS) == {"data-recovered": "failed", "service-restored": "failed"}


def test_a_report_with_an_invented_target_fails(bench):
    box = bench("disaster-recovery")
    box.solve_step()
    assert box.outcomes("dr-report") == {"dr-report": "passed"}
    box.run(INVENTED_TARGET)
    assert box.outcomes("dr-report") == {"dr-report": "failed"}
