"""A day is complete when its lessons are read, its quiz is passed and its labs are passed: the
trainee's day cards, the sign-off's days item and the coordinator's matrix and pacing agree, on
real PostgreSQL. Which labs a day has comes from its day.yaml, never from a list in the code."""

from __future__ import annotations

from datetime import timedelta

from app.certification.certificates import checklist_for
from app.clock import utcnow
from app.content.quizzes import quiz_section
from app.coordination.matrix import build_matrix
from app.coordination.models import Cohort
from app.extensions import db
from app.learning.services import current_day, day_statuses, mark_complete
from tests.certification.conftest import pass_lab, pass_quiz


def _lessons_and_quiz(user_id: int, catalog, day) -> None:
    for lesson in day.lessons:
        mark_complete(user_id, catalog, lesson.id)
    quiz = quiz_section(catalog).for_day(day.id)
    if quiz is not None:
        pass_quiz(user_id, quiz, catalog)


def _row(team, catalog, now=None):
    matrix = build_matrix(db.session.get(Cohort, team.cohort_id), catalog, now)
    return next(r for r in matrix.rows if r.trainee.id == team.trainee.id)


def test_a_day_with_labs_is_complete_only_once_its_labs_pass(
    client, login_as, team, catalog, session
):
    trainee = team.trainee.id
    days_with_labs = [day for day in catalog.days if day.lab_slugs]
    assert days_with_labs, "the programme has labs on its days"
    # Every day before the first one with labs is finished completely; that day gets only its
    # lessons and quiz.
    first = days_with_labs[0]
    for day in catalog.days[: first.number - 1]:
        _lessons_and_quiz(trainee, catalog, day)
        for slug in day.lab_slugs:
            pass_lab(trainee, slug, catalog)
    _lessons_and_quiz(trainee, catalog, first)
    status = next(s for s in day_statuses(trainee, catalog) if s.day.id == first.id)
    assert status.labs_total == len(first.lab_slugs)
    assert (status.labs_done, status.complete) == (0, False)
    assert status.total == status.lessons_total + status.extra_total + len(first.lab_slugs)
    assert status.done == status.total - len(first.lab_slugs)
    assert current_day(day_statuses(trainee, catalog)).day.id == first.id
    checklist = checklist_for(trainee, catalog)
    assert checklist.status("days").done == first.number - 1
    row = _row(team, catalog)
    assert row.days[first.number - 1] == (status.done, status.total)
    assert row.day_marks[first.number - 1][0] == "part"
    assert row.pacing.current_day == first.number
    session.commit()
    plan = login_as(team.trainee).get("/plan").get_data(as_text=True)
    card = plan.split(f'data-day="{first.id}"')[0].rsplit("<li", 1)[1]
    assert "done" not in card.split(">")[0]  # the card's class: not done

    for slug in first.lab_slugs:
        pass_lab(trainee, slug, catalog)
    status = next(s for s in day_statuses(trainee, catalog) if s.day.id == first.id)
    assert (status.labs_done, status.complete, status.percent) == (len(first.lab_slugs), True, 100)
    assert checklist_for(trainee, catalog).status("days").done == first.number
    row = _row(team, catalog)
    assert row.days[first.number - 1] == (status.total, status.total)
    assert row.day_marks[first.number - 1] == ("done", "✓")
    assert row.pacing.current_day == first.number + 1
    assert len(row.days_done_on) == first.number
    session.commit()
    plan = client.get("/plan").get_data(as_text=True)
    card = plan.split(f'data-day="{first.id}"')[0].rsplit("<li", 1)[1]
    assert "done" in card.split(">")[0]


def test_the_matrix_and_the_trainee_pages_count_every_day_alike(team, catalog):
    trainee = team.trainee.id
    # Half the programme: lessons and quizzes of every day, the labs of every other day.
    for day in catalog.days:
        _lessons_and_quiz(trainee, catalog, day)
        if day.number % 2:
            for slug in day.lab_slugs:
                pass_lab(trainee, slug, catalog)
    statuses = day_statuses(trainee, catalog)
    row = _row(team, catalog)
    assert list(row.days) == [(s.done, s.total) for s in statuses]
    complete = [s.day.id for s in statuses if s.complete]
    assert complete == [d.id for d in catalog.days if d.number % 2 or not d.lab_slugs]
    assert checklist_for(trainee, catalog).status("days").done == len(complete)


def test_day_ten_counts_the_exam_and_only_an_attempt_passed_in_time(team, catalog):
    from app.content.labs import labs_of
    from app.labs import services
    from app.labs.checks import CheckResult
    from app.labs.models import SessionStatus, Trigger

    trainee = team.trainee.id
    last = catalog.days[-1]
    exams = [s for s in last.lab_slugs if labs_of(catalog)[s].is_exam]
    assert exams == ["practical-exam"]
    _lessons_and_quiz(trainee, catalog, last)
    for slug in last.lab_slugs:
        if slug not in exams:
            pass_lab(trainee, slug, catalog)
    # An attempt whose checks all passed, but only after its time was up, passes nothing.
    lab = labs_of(catalog)["practical-exam"]
    attempt = services.start_session(trainee, lab, catalog.version)
    attempt.status = SessionStatus.ACTIVE.value
    attempt.ready_at = utcnow() - timedelta(minutes=91)
    attempt.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    from app.labs.models import CheckRun

    late = CheckRun(
        session_id=attempt.id,
        trigger=Trigger.BUTTON.value,
        status="queued",
        content_version=catalog.version,
        requested_at=utcnow(),
        results=[],
    )
    db.session.add(late)
    db.session.flush()
    services.record_results(late, lab, [CheckResult(c.id, c.task_id, "passed") for c in lab.checks])
    status = day_statuses(trainee, catalog)[-1]
    assert (status.labs_done, status.labs_total, status.complete) == (
        len(last.lab_slugs) - 1,
        len(last.lab_slugs),
        False,
    )
    assert _row(team, catalog).days[-1] == (status.done, status.total)
