"""The progress matrix: what it shows, that it agrees with the per-trainee services, its query
count, pacing flags and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from app.auth.models import Role
from app.certification.certificates import checklist_for
from app.certification.models import AttestationKind
from app.certification.sources import progress_of
from app.clock import utcnow
from app.coordination.matrix import build_matrix
from app.coordination.models import Cohort
from app.coordination.services import add_member
from app.extensions import db
from app.learning.services import day_statuses, mark_complete
from tests.certification.conftest import (
    approved_work,
    pass_day_quizzes,
    pass_lab,
    pass_quiz,
    satisfy_everything,
    sign,
)


def _cohort(team) -> Cohort:
    return db.session.get(Cohort, team.cohort_id)


def _varied_trainees(session, make_user, team, catalog, count: int) -> list:
    """Add trainees at different points of the programme to the team's cohort."""
    from app.content.quizzes import quiz_section

    people = []
    for n in range(count):
        trainee = make_user(Role.TRAINEE, name=f"Varied {n:02d}")
        add_member(team.cohort_id, trainee.id)
        for day in catalog.days[: n % 4]:
            for lesson in day.lessons:
                mark_complete(trainee.id, catalog, lesson.id)
            quiz = quiz_section(catalog).for_day(day.id)
            if quiz is not None and n % 2 == 0:
                pass_quiz(trainee.id, quiz, catalog)
        if n % 3 == 0:
            pass_lab(trainee.id, "deploy-staging", catalog)
        if n % 2 == 1:
            approved_work(trainee, team.coordinator, AttestationKind.SHADOW_SHIFT, 1)
        if n % 4 == 0:
            sign(trainee, catalog)
        people.append(trainee)
    session.commit()
    return people


def test_the_matrix_agrees_with_each_trainees_own_records(session, make_user, team, catalog):
    _varied_trainees(session, make_user, team, catalog, 6)
    matrix = build_matrix(_cohort(team), catalog)
    assert [row.trainee.full_name for row in matrix.rows][:2] == ["Thandi Trainee", "Varied 00"]
    assert len(matrix.rows) == 7
    assert len(matrix.days) == 10
    assert len(matrix.lab_slugs) == 8
    for row in matrix.rows:
        statuses = day_statuses(row.trainee.id, catalog)
        assert list(row.days) == [(s.done, s.total) for s in statuses]
        own = checklist_for(row.trainee.id, catalog)
        assert list(row.items) == [(s.done, s.total, s.met) for s in own.items]
        assert row.ready == own.ready
        progress = progress_of(row.trainee.id, catalog)
        passed = {
            slug
            for slug, state in zip(matrix.lab_slugs, row.labs, strict=True)
            if state == "passed"
        }
        assert passed == set(progress.passed_labs)
        assert row.assessment == progress.assessment_passed


def test_the_matrix_page_uses_a_fixed_number_of_queries(
    client, login_as, session, make_user, team, catalog, count_queries
):
    login_as(team.coordinator)
    path = f"/team/cohorts/{team.cohort_id}"
    client.get(path)
    small = count_queries()
    assert client.get(path).status_code == 200
    small_count = small.count
    _varied_trainees(session, make_user, team, catalog, 12)
    client.get(path)
    large = count_queries()
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("data-trainee=") == 13
    assert large.count == small_count, (small_count, large.count)
    assert large.count <= 20


def test_pacing_flags_trainees_who_are_behind_idle_or_stuck(session, team, catalog):
    from app.content.labs import labs_of
    from app.labs import services as labs
    from app.labs.checks import CheckResult
    from app.labs.models import SessionStatus, Trigger

    cohort = _cohort(team)
    cohort.start_date = date.today() - timedelta(days=14)
    lab = labs_of(catalog)["deploy-staging"]
    lab_session = labs.start_session(team.trainee.id, lab, catalog.version)
    lab_session.status = SessionStatus.ACTIVE.value
    session.flush()
    first_check = lab.checks[0]
    for _ in range(4):
        run = labs.request_check(lab_session, lab, user_id=team.trainee.id, trigger=Trigger.BUTTON)
        results = [CheckResult(c.id, c.task_id, "failed", title=c.title) for c in lab.checks]
        labs.record_results(run, lab, results)
    session.commit()
    later = utcnow() + timedelta(hours=2)
    row = build_matrix(cohort, catalog, later).rows[0]
    kinds = {flag.kind: flag.text for flag in row.pacing.flags}
    assert set(kinds) == {"behind", "stuck"}
    assert kinds["stuck"].startswith(
        f"stuck on {lab.title} — {first_check.title}: 4 failed checks over 2 h"
    )
    assert row.pacing.current_day == 1
    assert row.pacing.expected_day >= 9
    quiet = build_matrix(cohort, catalog, later + timedelta(days=4)).rows[0]
    assert "idle" in {flag.kind for flag in quiet.pacing.flags}


def test_matrix_page_shows_progress_flags_and_certified_trainees(
    client, login_as, session, team, catalog
):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    session.commit()
    login_as(team.coordinator)
    page = client.get(f"/team/cohorts/{team.cohort_id}").get_data(as_text=True)
    assert "Thandi Trainee" in page
    assert "ready" in page
    assert "all days" in page
    assert "Otto Othertrainee" not in page


def test_csv_export_has_one_row_per_trainee(client, login_as, session, make_user, team, catalog):
    trainee = make_user(Role.TRAINEE, name="=HYPERLINK(evil)")
    add_member(team.cohort_id, trainee.id)
    at_sign = make_user(Role.TRAINEE, name="@SUM(1)")
    add_member(team.cohort_id, at_sign.id)
    pass_day_quizzes(team.trainee.id, catalog)
    session.commit()
    login_as(team.coordinator)
    response = client.get(f"/team/cohorts/{team.cohort_id}/matrix.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(evil)", "'@SUM(1)", "Thandi Trainee"]
    thandi = rows[2]
    assert thandi["email"] == team.trainee.email
    assert thandi["checklist shadow-shifts"] == "0/2"
    assert thandi["lab deploy-staging"] == ""
    assert thandi["ready_for_signoff"] == "no"
    assert "behind" in thandi["flags"]
    assert set(rows[0]) >= {f"day {n} %" for n in range(1, 11)}


def test_cells_written_unescaped_hold_only_the_matrixs_own_words(
    client, login_as, session, make_user, team, catalog
):
    import re

    hostile = make_user(Role.TRAINEE, name="<script>alert(1)</script>")
    add_member(team.cohort_id, hostile.id)
    _varied_trainees(session, make_user, team, catalog, 5)
    matrix = build_matrix(_cohort(team), catalog)
    text = re.compile(r"^(✓|…|\d{1,3}%|\d+/\d+|)$")
    for row in matrix.rows:
        marks = [*row.day_marks, *row.lab_marks(), *[(c, t) for c, t, _ in row.item_marks()]]
        assert {css for css, _ in marks} <= {"done", "part", "none"}
        assert all(text.match(t) for _, t in marks), marks
    login_as(team.coordinator)
    page = client.get(f"/team/cohorts/{team.cohort_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
