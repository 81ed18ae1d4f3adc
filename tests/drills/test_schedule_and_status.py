"""When drills fall due, and how they are judged: done, due, overdue, missed, caught up."""

from __future__ import annotations

import gc
import random
from datetime import UTC, date, datetime, timedelta

from app.drills.content import Drill
from app.drills.schedule import first_start, label, next_start, period_start
from app.drills.status import (
    BEHIND,
    CAUGHT_UP,
    CURRENT,
    DONE,
    DUE,
    MISSED,
    OPEN,
    OVERDUE,
    STANDING_OVERDUE,
    judge,
    status_of,
)
from tests.drills.conftest import ISSUED, at, line_of


def test_calendar_periods_and_the_first_occurrence_after_the_day_of_issue():
    day = date(2026, 5, 14)  # a Thursday
    assert period_start(day, "weekly") == date(2026, 5, 11)
    assert period_start(day, "monthly") == date(2026, 5, 1)
    assert period_start(day, "quarterly") == date(2026, 4, 1)
    assert next_start(date(2026, 12, 1), "monthly") == date(2027, 1, 1)
    assert next_start(date(2026, 10, 1), "quarterly") == date(2027, 1, 1)
    # Issued on Saturday 10 January: the first whole week, month and quarter after that day.
    assert first_start(ISSUED, "weekly") == date(2026, 1, 12)
    assert first_start(ISSUED, "monthly") == date(2026, 2, 1)
    assert first_start(ISSUED, "quarterly") == date(2026, 4, 1)
    # Issued on the first day of a month: that month was the training's, the next one is due.
    assert first_start(datetime(2026, 3, 1, 8, tzinfo=UTC), "monthly") == date(2026, 4, 1)
    assert label(date(2026, 4, 1), "quarterly") == "Q2 2026"
    assert label(date(2026, 2, 1), "monthly") == "February 2026"


def test_a_drill_opens_falls_due_is_overdue_then_missed(team, certify, rules):
    certify(team.trainee)
    drill = "monthly-restore-test"
    before = status_of(rules, team.trainee.id, at("2026-01-20"))
    assert line_of(before, drill).now is None  # the first month has not begun
    assert line_of(before, drill).next_start == date(2026, 2, 1)

    opened = line_of(status_of(rules, team.trainee.id, at("2026-02-10")), drill)
    assert opened.state == OPEN
    assert opened.now.due_on == date(2026, 2, 28)

    # remind_days_before: 3, so from 26 February it is due soon.
    due = status_of(rules, team.trainee.id, at("2026-02-26 08:00"))
    assert line_of(due, drill).state == DUE

    # After February, during its 7 days of grace: overdue, and the holder is still current.
    overdue = status_of(rules, team.trainee.id, at("2026-03-03"))
    assert line_of(overdue, drill).state == OVERDUE
    assert line_of(overdue, drill).previous.closes_on == date(2026, 3, 7)
    assert line_of(overdue, drill).missed == 0

    missed = status_of(rules, team.trainee.id, at("2026-03-09"))
    line = line_of(missed, drill)
    assert line.state == MISSED
    assert line.missed == 1
    assert line.first_outstanding.start == date(2026, 2, 1)
    assert missed.standing == BEHIND
    assert not missed.current_on_drills


def test_the_standing_is_the_worst_of_the_drills(team, certify, rules, lab_done):
    certify(team.trainee, issued=at("2026-02-20"))
    # Nothing is due before 1 March; the first week (from 23 February) is overdue on 3 March.
    assert status_of(rules, team.trainee.id, at("2026-02-24")).standing == CURRENT
    overdue = status_of(rules, team.trainee.id, at("2026-03-03"))
    assert line_of(overdue, "weekly-backup-check").state == OVERDUE
    assert overdue.standing == STANDING_OVERDUE
    assert overdue.current_on_drills
    lab_done(team.trainee, "backup-verify", at("2026-03-03 09:00"))
    assert status_of(rules, team.trainee.id, at("2026-03-03")).standing == CURRENT


def test_a_drill_is_done_by_passing_its_lab_within_the_window(team, certify, rules, lab_done):
    certify(team.trainee)
    before_window = lab_done(team.trainee, "restore-staging", at("2026-01-25"))
    in_window = lab_done(team.trainee, "restore-staging", at("2026-02-15"))
    status = status_of(rules, team.trainee.id, at("2026-02-20"), detail=True)
    line = line_of(status, "monthly-restore-test")
    assert line.state == DONE
    assert line.now.evidence.id == in_window
    assert line.now.evidence.kind == "lab"
    assert before_window != in_window
    # Another holder's session or another lab does not count.
    lab_done(team.other_trainee, "restore-staging", at("2026-03-02"))
    lab_done(team.trainee, "backup-verify", at("2026-03-02"))
    later = status_of(rules, team.trainee.id, at("2026-03-20"))
    assert line_of(later, "monthly-restore-test").state == OPEN


def test_one_completion_counts_once_and_a_late_one_catches_up(team, certify, rules, lab_done):
    certify(team.trainee)
    drill = "monthly-restore-test"
    # Done on 3 March, in February's grace window: it counts for February, not for March too.
    lab_done(team.trainee, "restore-staging", at("2026-03-03"))
    status = status_of(rules, team.trainee.id, at("2026-03-05"), detail=True)
    line = line_of(status, drill)
    assert [o.state for o in line.history] == [DONE, OPEN]
    # March is then missed; a session on 12 April catches it up and counts for April.
    late = lab_done(team.trainee, "restore-staging", at("2026-04-12"))
    status = status_of(rules, team.trainee.id, at("2026-04-13"), detail=True)
    line = line_of(status, drill)
    assert [o.state for o in line.history] == [DONE, CAUGHT_UP, DONE]
    assert line.history[1].evidence.id == late
    assert line.missed == 0
    assert line.missed_ever == 1


def test_an_activity_counts_once_approved_and_the_weekly_drill_runs_by_week(
    team, certify, rules, activity_done, lab_done
):
    certify(team.trainee)
    activity_done(team.trainee, "training_session", date(2026, 2, 12), status="pending")
    status = status_of(rules, team.trainee.id, at("2026-02-20"))
    line = line_of(status, "monthly-training")
    assert line.state == OPEN
    assert line.now.pending is not None  # recorded, waiting for approval
    activity_done(team.trainee, "training_session", date(2026, 2, 13))
    status = status_of(rules, team.trainee.id, at("2026-02-20"))
    assert line_of(status, "monthly-training").state == DONE

    weekly = "weekly-backup-check"
    lab_done(team.trainee, "backup-verify", at("2026-01-14"))
    status = status_of(rules, team.trainee.id, at("2026-01-21"), detail=True)
    assert [o.state for o in line_of(status, weekly).history] == [DONE, OPEN]


def test_holders_without_a_current_certificate_have_no_drills(team, certify, rules, session):
    assert status_of(rules, team.trainee.id, at("2026-02-10")) is None
    certificate = certify(team.trainee)
    certificate.revoked_at = at("2026-02-01")
    session.commit()
    assert status_of(rules, team.trainee.id, at("2026-02-10")) is None
    assert status_of(rules, team.trainee.id, ISSUED + timedelta(days=400)) is None


def test_a_fresh_holder_is_current(team, certify, rules):
    certify(team.trainee)
    status = status_of(rules, team.trainee.id, at("2026-01-11"))
    assert status.standing == CURRENT
    assert status.current_on_drills


def test_a_large_view_counts_closed_periods_as_one_holder_s_page_walks_them():
    # The coordinators' view counts the closed periods by walking completions; one holder's
    # page walks every period. Both must judge the same, whatever the completions.
    randomly = random.Random(20261204)
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    for period, grace in (("weekly", 3), ("monthly", 7), ("quarterly", 14)):
        drill = Drill("d", "Drill", "lab", "backup-verify", period, grace)
        for _ in range(150):
            issued = now - timedelta(
                days=randomly.randint(0, 420), seconds=randomly.randint(0, 86399)
            )
            span = (now - issued).total_seconds()
            moments = sorted(
                issued.timestamp() + randomly.random() * span
                for _ in range(randomly.choice((0, 1, 2, 5, 12, 40)))
            )
            completions = [(moment, n) for n, moment in enumerate(moments)]
            fast = judge(drill, issued, completions, [], now, timedelta(days=3))
            slow = judge(drill, issued, completions, [], now, timedelta(days=3), detail=True)
            assert (fast.missed, fast.missed_ever, fast.done) == (
                slow.missed,
                slow.missed_ever,
                slow.done,
            ), (period, issued, moments)
            assert fast.state == slow.state
            assert (fast.now and fast.now.state) == (slow.now and slow.now.state)
            first = fast.first_outstanding
            assert (first and first.start) == (
                slow.first_outstanding and slow.first_outstanding.start
            )


def test_the_bulk_read_leaves_the_cycle_collector_as_it_found_it(team, certify, rules):
    certify(team.trainee)
    assert gc.isenabled()
    assert status_of(rules, team.trainee.id, at("2026-03-11")).standing
    assert gc.isenabled()
    gc.disable()
    try:
        assert status_of(rules, team.trainee.id, at("2026-03-11")).standing
        assert not gc.isenabled()
    finally:
        gc.enable()
