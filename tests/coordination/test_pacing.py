"""Pacing: expected day by working days from the cohort's start, and the flags it raises."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.coordination.pacing import PacingPolicy, assess, expected_day, working_days

MONDAY = date(2026, 11, 2)


def test_working_days_skip_weekends():
    assert working_days(MONDAY, MONDAY) == 1
    assert working_days(MONDAY, MONDAY + timedelta(days=4)) == 5  # Friday
    assert working_days(MONDAY, MONDAY + timedelta(days=6)) == 5  # Sunday
    assert working_days(MONDAY, MONDAY + timedelta(days=7)) == 6  # next Monday
    assert working_days(MONDAY, MONDAY - timedelta(days=1)) == 0
    saturday = MONDAY + timedelta(days=5)
    assert working_days(saturday, saturday + timedelta(days=1)) == 0
    assert working_days(saturday, saturday + timedelta(days=2)) == 1


def test_expected_day_is_capped_at_the_programme_length():
    assert expected_day(MONDAY, MONDAY - timedelta(days=3), 10) == 0
    assert expected_day(MONDAY, MONDAY + timedelta(days=2), 10) == 3
    assert expected_day(MONDAY, MONDAY + timedelta(days=40), 10) == 10


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_behind_idle_and_stuck_flags():
    policy = PacingPolicy(behind_days=1, idle_days=3, stuck_minutes=45)
    now = _at(MONDAY + timedelta(days=7))  # day 6 expected
    on_time = assess(MONDAY, now, 6, 10, now - timedelta(hours=2), [], policy)
    assert on_time.expected_day == 6
    assert on_time.flags == ()
    behind = assess(MONDAY, now, 4, 10, now - timedelta(hours=2), [], policy)
    assert [(f.kind, f.severity) for f in behind.flags] == [("behind", "bad")]
    assert behind.flags[0].text == "2 days behind (on day 4, expected 6)"
    idle = assess(MONDAY, now, 6, 10, now - timedelta(days=4), [], policy)
    assert [f.text for f in idle.flags] == ["no activity for 4 days"]
    never = assess(MONDAY, now, 1, 10, None, [], policy)
    assert {f.kind for f in never.flags} == {"behind", "idle"}
    stuck = assess(
        MONDAY,
        now,
        6,
        10,
        now,
        [("Restore to staging — restore-check", now - timedelta(minutes=80), 9)],
        policy,
    )
    assert [f.text for f in stuck.flags] == [
        "stuck on Restore to staging — restore-check: 9 failed checks over 1 h 20 min"
    ]
    fresh = assess(MONDAY, now, 6, 10, now, [("Lab", now - timedelta(minutes=10), 3)], policy)
    assert fresh.flags == ()


def test_finished_trainees_are_never_flagged():
    now = _at(MONDAY + timedelta(days=30))
    done = assess(MONDAY, now, 11, 10, now - timedelta(days=20), [], PacingPolicy())
    assert done.finished
    assert done.flags == ()
    assert done.days_behind == 0


def test_nobody_is_flagged_before_the_cohort_starts():
    now = _at(MONDAY - timedelta(days=5))
    early = assess(MONDAY, now, 1, 10, None, [], PacingPolicy())
    assert early.expected_day == 0
    assert early.flags == ()
