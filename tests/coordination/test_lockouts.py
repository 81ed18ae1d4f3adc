"""Trainees locked out of a quiz: flagged in the matrix, given one more attempt from their page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.clock import utcnow
from app.content.quizzes import quiz_section
from app.coordination.matrix import build_matrix, matrix_csv
from app.coordination.models import Cohort
from app.extensions import db
from app.quizzes import services
from app.quizzes.lockout import locked_out, lockouts_for
from tests.certification.conftest import pass_quiz
from tests.conftest import csrf_token


@pytest.fixture
def quiz(catalog):
    """A day quiz with an attempt limit."""
    section = quiz_section(catalog)
    found = next((q for q in section.quizzes.values() if q.max_attempts and q.day_id), None)
    assert found is not None, "no day quiz limits its attempts"
    return found


def _use_every_attempt(user_id, quiz, catalog) -> None:
    start = utcnow() - timedelta(days=quiz.max_attempts + 1)
    for n in range(quiz.max_attempts):
        at = start + timedelta(days=n)
        attempt = services.start_attempt(user_id, quiz, catalog, now=at)
        services.submit(attempt, {}, catalog, now=at + timedelta(minutes=1))
    db.session.commit()


def _locked_flags(team, catalog) -> list[str]:
    matrix = build_matrix(db.session.get(Cohort, team.cohort_id), catalog)
    row = next(r for r in matrix.rows if r.trainee.id == team.trainee.id)
    return [flag.text for flag in row.pacing.flags if flag.kind == "locked"]


def test_locked_out_means_every_attempt_used_closed_and_failed():
    assert locked_out(3, 0, 3, 3, False)
    assert not locked_out(3, 1, 3, 3, False)  # a coordinator allowed one more
    assert not locked_out(3, 0, 3, 2, False)  # the last attempt is still open
    assert not locked_out(3, 0, 3, 3, True)
    assert not locked_out(0, 0, 9, 9, False)  # unlimited


def test_the_matrix_flags_a_trainee_locked_out_of_a_quiz(session, team, catalog, quiz):
    assert _locked_flags(team, catalog) == []
    _use_every_attempt(team.trainee.id, quiz, catalog)
    used = quiz.max_attempts
    assert _locked_flags(team, catalog) == [
        f"locked out of {quiz.title}: {used} of {used} attempts used"
    ]
    matrix = build_matrix(db.session.get(Cohort, team.cohort_id), catalog)
    assert matrix.flagged >= 1
    assert f"locked out of {quiz.title}" in matrix_csv(matrix)
    services.grant_extra_attempt(team.trainee.id, quiz.id, team.coordinator.id)
    session.commit()
    assert _locked_flags(team, catalog) == []
    pass_quiz(team.trainee.id, quiz, catalog)
    session.commit()
    assert _locked_flags(team, catalog) == []


def test_the_matrix_page_shows_the_flag(client, login_as, team, catalog, quiz):
    _use_every_attempt(team.trainee.id, quiz, catalog)
    login_as(team.coordinator)
    page = client.get(f"/team/cohorts/{team.cohort_id}").get_data(as_text=True)
    assert 'data-flag="locked"' in page
    assert f"locked out of {quiz.title}" in page


def test_a_coordinator_grants_one_more_attempt_from_the_trainee_page(
    client, login_as, team, session, catalog, quiz
):
    _use_every_attempt(team.trainee.id, quiz, catalog)
    assert [lock.quiz.id for lock in lockouts_for(team.trainee.id, catalog)] == [quiz.id]
    login_as(team.coordinator)
    path = f"/team/trainees/{team.trainee.id}"
    page = client.get(path).get_data(as_text=True)
    assert f'data-locked="{quiz.id}"' in page
    action = f"/quizzes/{quiz.id}/trainees/{team.trainee.id}/extra-attempt"
    assert f'action="{action}"' in page
    assert re.search(r'name="back" type="hidden" value="trainee"', page)

    assert client.post(action, data={"back": "trainee"}).status_code == 400  # no CSRF token
    token = csrf_token(client, path)
    # `back` names a page, never a URL.
    refused = client.post(action, data={"csrf_token": token, "back": "https://example.org/"})
    assert refused.status_code == 400
    assert lockouts_for(team.trainee.id, catalog) != []

    granted = client.post(
        action, data={"csrf_token": token, "back": "trainee", "reason": "was ill"}
    )
    assert granted.status_code == 302
    assert granted.headers["Location"].endswith(f"{path}#quiz-lockouts")
    assert lockouts_for(team.trainee.id, catalog) == []
    assert 'id="quiz-lockouts"' not in client.get(path).get_data(as_text=True)
    assert services.standing(team.trainee.id, quiz).can_start


def test_another_cohorts_coordinator_cannot_grant(client, login_as, team, catalog, quiz):
    _use_every_attempt(team.trainee.id, quiz, catalog)
    login_as(team.other_coordinator)
    token = csrf_token(client, "/team")
    action = f"/quizzes/{quiz.id}/trainees/{team.trainee.id}/extra-attempt"
    assert client.post(action, data={"csrf_token": token, "back": "trainee"}).status_code == 404
    assert lockouts_for(team.trainee.id, catalog) != []
