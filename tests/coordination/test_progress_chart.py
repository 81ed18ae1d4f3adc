"""The cohort progress chart (days and labs completed over time against the plan's pace) and the
matrix's compact, sticky layout, as the cohort page renders them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update

from app.auth.models import Role
from app.coordination.chart import plan_end, progress_chart
from app.coordination.matrix import build_matrix
from app.coordination.models import Cohort
from app.coordination.services import add_member
from app.extensions import db
from app.learning.models import LessonProgress
from app.learning.services import mark_complete
from tests.certification.conftest import pass_lab, pass_quiz


def _monday_before(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _complete_day(user_id: int, catalog, number: int, on: date) -> None:
    """Complete a day's lessons, quiz and labs (a day is complete only with them), dated `on`."""
    from app.content.quizzes import quiz_section
    from app.quizzes.models import QuizAttempt

    day = catalog.days[number - 1]
    for lesson in day.lessons:
        mark_complete(user_id, catalog, lesson.id)
    db.session.execute(
        update(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.day_id == day.id)
        .values(completed_at=_at(on))
    )
    quiz = quiz_section(catalog).for_day(day.id)
    if quiz is not None:
        pass_quiz(user_id, quiz, catalog)
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id)
            .values(submitted_at=_at(on, 11))
        )
    for slug in day.lab_slugs:
        _pass_lab_on(user_id, slug, catalog, on)


def _pass_lab_on(user_id: int, slug: str, catalog, on: date) -> None:
    from app.labs.models import LabSession

    pass_lab(user_id, slug, catalog)
    db.session.execute(
        update(LabSession)
        .where(LabSession.user_id == user_id, LabSession.lab_slug == slug)
        .values(completed_at=_at(on, 12))
    )


def _dated_cohort(session, make_user, team, catalog) -> tuple[Cohort, date]:
    """Thandi completes day 1 on Monday, day 2 with its lab on Wednesday; Vusi does nothing."""
    cohort = db.session.get(Cohort, team.cohort_id)
    start = _monday_before(date.today())
    cohort.start_date = start
    vusi = make_user(Role.TRAINEE, name="Vusi Idle")
    add_member(team.cohort_id, vusi.id)
    _complete_day(team.trainee.id, catalog, 1, start)
    _complete_day(team.trainee.id, catalog, 2, start + timedelta(days=2))
    assert "deploy-staging" in catalog.days[1].lab_slugs
    session.commit()
    return cohort, start


def test_the_chart_follows_completions_against_the_plans_pace(session, make_user, team, catalog):
    cohort, start = _dated_cohort(session, make_user, team, catalog)
    thursday = start + timedelta(days=3)
    now = _at(thursday, 16)
    matrix = build_matrix(cohort, catalog, now)
    thandi = next(row for row in matrix.rows if row.trainee.id == team.trainee.id)
    assert thandi.days_done_on == (start, start + timedelta(days=2))
    assert thandi.labs_done_on == (start + timedelta(days=2),)

    chart = progress_chart(matrix, catalog, thursday)
    days, labs = chart.series
    assert (days.key, days.total, labs.key, labs.total) == ("days", 10, "labs", 8)
    # The plan: one day per working day, so ten days end on the second Friday.
    assert days.points[0].on == start
    assert days.points[-1].on == plan_end(start, 10) == start + timedelta(days=11)
    by_date = {p.on: p for p in days.points}
    monday, tuesday, wednesday = (start + timedelta(days=n) for n in range(3))
    assert (by_date[monday].expected, by_date[monday].mean, by_date[monday].behind) == (1, 0.5, 0)
    assert (by_date[tuesday].expected, by_date[tuesday].behind) == (2, 1)
    assert (by_date[wednesday].mean, by_date[wednesday].fewest, by_date[wednesday].most) == (
        1.0,
        0,
        2,
    )
    today = by_date[thursday]
    # Both trainees trail the plan by a day or more, which is what the matrix flags too.
    assert (today.expected, today.behind) == (4, 2)
    assert sum(1 for row in matrix.rows if any(f.kind == "behind" for f in row.pacing.flags)) == 2
    assert by_date[thursday + timedelta(days=1)].mean is None  # tomorrow has no figures yet
    assert days.current == today
    # Labs: the plan expects the labs of the days it expects done (day 2 and day 3 by Wednesday).
    lab_points = {p.on: p for p in labs.points}
    assert (lab_points[wednesday].expected, lab_points[wednesday].most) == (2, 1)
    assert lab_points[thursday].expected == 3
    assert "completed 1.0 of 10 days on average (fewest 0, most 2); the plan expects 4" in (
        days.description(chart.trainees, chart.start)
    )
    # The drawing: a point of the plan per date, the mean up to today, a band, today's marker.
    assert len(days.expected_line.split()) == len(days.points)
    assert len(days.mean_line.split()) == 4
    assert days.band
    assert days.today_x is not None
    assert days.last is not None


def test_a_cohort_that_has_not_started_draws_the_plan_only(session, team, catalog):
    cohort = db.session.get(Cohort, team.cohort_id)
    cohort.start_date = date.today() + timedelta(days=10)
    session.commit()
    chart = progress_chart(build_matrix(cohort, catalog), catalog, date.today())
    days = chart.series[0]
    assert days.points[0].on == cohort.start_date
    assert days.current is None
    assert days.mean_line == ""
    assert days.today_x is None
    assert days.description(chart.trainees, chart.start).startswith("The cohort starts on")


def test_the_cohort_page_draws_the_chart_with_its_table(
    client, login_as, session, make_user, team, catalog
):
    _dated_cohort(session, make_user, team, catalog)
    login_as(team.coordinator)
    page = client.get(f"/team/cohorts/{team.cohort_id}").get_data(as_text=True)
    assert 'id="progress-chart"' in page
    for key in ("days", "labs"):
        svg = re.search(rf'<figure class="pace-chart" id="chart-{key}".*?</svg>', page, re.S)
        assert svg, key
        drawing = svg.group(0)
        assert f'role="img" aria-labelledby="chart-{key}-title chart-{key}-desc"' in drawing
        assert f'<title id="chart-{key}-title">' in drawing
        assert f'<desc id="chart-{key}-desc">' in drawing
        assert '<polyline class="expected" points="' in drawing
        assert '<polyline class="actual" points="' in drawing
        table = re.search(
            rf'<table class="grid compact" id="chart-{key}-table">.*?</table>', page, re.S
        )
        assert table, key
        assert "<caption>" in table.group(0)
        assert '<th scope="col">Plan</th>' in table.group(0)
        assert "(today)" in table.group(0)
    assert "Programme days completed by the end of each date (of 10)" in page
    assert "Required labs passed by the end of each date (of 8)" in page
    assert "<script>" not in page  # the chart is drawn on the server; CSP allows no inline script


def test_the_matrix_reads_on_a_laptop(client, login_as, session, make_user, team, catalog):
    _dated_cohort(session, make_user, team, catalog)
    login_as(team.coordinator)
    page = client.get(f"/team/cohorts/{team.cohort_id}").get_data(as_text=True)
    # A focusable scrolling box with its hint, a sticky row header per trainee.
    assert (
        'class="matrix-wrap" id="matrix-wrap" tabindex="0" role="region" '
        'aria-labelledby="matrix-heading" aria-describedby="matrix-hint"'
    ) in page
    assert 'id="matrix-hint"' in page
    assert f'<th scope="row" class="name"><a href="/team/trainees/{team.trainee.id}">' in page
    assert "coordination.js" in page
    assert "coordination.css" in page
    # Column groups; every lab and checklist item is named in words, not by its id.
    assert 'class="group">Days</th>' in page
    assert 'class="group">Labs</th>' in page
    assert '<span class="sr-text">Deploy a release with a migration to staging</span>' in page
    assert '<span class="sr-text">Shadowed the on-call engineer (2 shifts)</span>' in page
    # The checklist's day and lab items repeat the day and lab columns: the page leaves them out.
    assert "Completed all 10 days of training" not in page
    assert "Performed every must-perform task" not in page
    # The behind flag shows its short form; the full sentence is its tooltip.
    assert re.search(
        r'data-flag="behind" title="\d days? behind \(on day \d+, expected \d+\)">'
        r"\d days? behind</span>",
        page,
    )


def test_the_csv_keeps_every_checklist_item(client, login_as, session, team, catalog):
    login_as(team.coordinator)
    text = client.get(f"/team/cohorts/{team.cohort_id}/matrix.csv").get_data(as_text=True)
    assert "checklist days" in text
    assert "checklist practical-tasks" in text
