"""Retakes that teach instead of leak: what a review shows, and a retake draws new questions."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.clock import utcnow
from app.content.questions import DrawRule, Option, Question, Quiz
from app.quizzes import services
from app.quizzes.models import QuizAttempt
from app.quizzes.paper import draw_paper, last_seen
from app.quizzes.review import ANSWERS, SCORE, WRONG, is_finished, review_level
from tests.conftest import csrf_token, login
from tests.quizzes.conftest import RIGHT, build_catalog
from tests.quizzes.test_pages import _start, _submit

CONCEPT = "Which file names the port the API process binds to."


@pytest.mark.parametrize(
    ("mode", "finished", "overseer", "shown"),
    [
        (ANSWERS, False, False, WRONG),
        (ANSWERS, True, False, ANSWERS),
        (WRONG, True, False, WRONG),
        (SCORE, True, False, SCORE),
        (SCORE, False, True, ANSWERS),
        ("something-old", False, False, WRONG),
    ],
)
def test_full_answers_only_once_the_trainee_is_done(mode, finished, overseer, shown):
    assert review_level(mode, finished=finished, overseer=overseer) == shown


def test_done_means_passed_or_every_attempt_used_and_closed():
    assert is_finished(True, 2, False)
    assert is_finished(False, 0, False)
    assert not is_finished(False, 0, True)  # the last attempt is still open
    assert not is_finished(False, 1, False)
    assert not is_finished(False, None, False)  # unlimited attempts: never the keys before a pass


def _bank(size: int, tags: tuple[str, ...] = ("t",)) -> Quiz:
    questions = tuple(
        Question(
            id=f"q{n:02d}",
            type="single",
            prompt=f"Question {n}",
            explanation="Because.",
            tags=tags,
            options=(Option("a", "One option"), Option("b", "Another one")),
            answer="a",
        )
        for n in range(size)
    )
    return Quiz(
        id="bank",
        title="Bank",
        pass_mark=70,
        max_attempts=0,
        delay_minutes=0,
        time_limit_minutes=0,
        review="answers",
        draw=(DrawRule("t", 4),),
        questions=questions,
        path=Path("bank.yaml"),
        day_id="day-01",
    )


def _ids(paper) -> list[str]:
    return [entry.question.id for entry in paper]


def test_a_retake_draws_unseen_questions_then_the_least_recently_seen():
    quiz = _bank(12)
    history: list[list[str]] = []
    for seed in (11, 12, 13):
        paper = _ids(draw_paper(quiz, seed, history))
        assert not set(paper) & {q for earlier in history for q in earlier}
        history.append(paper)
    # The bank is used up: the fourth paper takes the questions seen longest ago.
    fourth = _ids(draw_paper(quiz, 14, history))
    assert set(fourth) == set(history[0])
    assert last_seen([*history, fourth])[fourth[0]] == 3


def test_the_draw_is_reproducible_from_the_seed_and_the_earlier_papers():
    quiz = _bank(10)
    history = [_ids(draw_paper(quiz, 1))]
    again = [e.as_json() for e in draw_paper(quiz, 5, history)]
    assert [e.as_json() for e in draw_paper(quiz, 5, history)] == again
    # Partly exhausted pool: the 6 unseen are all eligible, the rest come from the old paper.
    third = _ids(draw_paper(quiz, 6, [*history, [e["id"] for e in again]]))
    assert len(set(third) - set(history[0]) - {e["id"] for e in again}) == 2
    # Without history the draw is the plain random draw of before.
    rng = random.Random(3)
    plain = rng.sample(list(quiz.questions), 4)
    assert sorted(_ids(draw_paper(quiz, 3))) == sorted(q.id for q in plain)


def test_starting_a_retake_prefers_what_the_trainee_has_not_seen(
    session, make_user, final, start, catalog
):
    trainee = make_user(Role.TRAINEE)
    first = start(trainee.id, final, seed=1)
    services.submit(first, {}, catalog)
    unseen = {q.id for q in final.questions} - set(first.question_ids)
    assert len(unseen) == 2
    second = start(trainee.id, final, seed=2)
    assert unseen <= set(second.question_ids)


def test_the_delay_between_attempts_is_kept_by_the_server(client, use_catalog, make_user, session):
    trainee = make_user(Role.TRAINEE)
    login(client, trainee)
    _submit(client, _start(client), {})
    token = csrf_token(client, "/days/day-01/quiz")
    refused = client.post("/quizzes/alpha-quiz/start", data={"csrf_token": token})
    assert refused.headers["Location"].endswith("/days/day-01/quiz")
    count = select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == trainee.id)
    assert session.scalar(count) == 1
    # Ten minutes after the submission the next attempt starts.
    attempt = session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == trainee.id))
    attempt.submitted_at = utcnow() - timedelta(minutes=10, seconds=1)
    session.commit()
    assert client.post("/quizzes/alpha-quiz/start", data={"csrf_token": token}).status_code == 302
    assert session.scalar(count) == 2


@pytest.fixture
def with_concept(app, content_dir, monkeypatch):
    """The quiz test content, with a concept hint on a-single."""
    quiz = content_dir / "day-01-alpha" / "quiz.yaml"
    text = quiz.read_text()
    marker = "    explanation: The `.env` file says 5000.\n"
    quiz.write_text(text.replace(marker, marker + f"    concept: {CONCEPT}\n", 1))
    catalog = build_catalog(content_dir)
    monkeypatch.setitem(app.extensions, "academy.catalog", catalog)
    return catalog


def _review(client, attempt_id) -> str:
    return client.get(f"/quizzes/attempts/{attempt_id}/review").get_data(as_text=True)


def _wait_out_the_delay(session, attempt_id) -> None:
    attempt = session.get(QuizAttempt, attempt_id)
    attempt.submitted_at = utcnow() - timedelta(hours=1)
    session.commit()


def test_a_failed_attempt_with_attempts_left_shows_what_was_wrong_but_no_answers(
    client, with_concept, make_user, session
):
    login(client, make_user(Role.TRAINEE))
    failed = _start(client)
    _submit(client, failed, {"a-single": ["a"], "a-tf": ["false"]})
    page = _review(client, failed)
    assert 'id="answers-withheld"' in page
    assert "Correct answer:" not in page
    assert 'class="explanation' not in page
    assert "The <code>.env</code> file says 5000." not in page
    assert "Redis is a cache." not in page
    assert "✗ wrong" in page
    assert "✓ correct" in page
    assert "Concept to revisit:" in page
    assert CONCEPT in page
    assert 'class="options review-options"' not in page  # which option was right stays hidden

    # The last attempt is open: reviews of earlier ones still hide the keys.
    _wait_out_the_delay(session, failed)
    last = _start(client)
    page = _review(client, failed)
    assert "Correct answer:" not in page

    # Every attempt used and none passed: now the review teaches with the full answers.
    _submit(client, last, {})
    for attempt_id in (failed, last):
        page = _review(client, attempt_id)
        assert "Correct answer:" in page
        assert "The <code>.env</code> file says 5000." in page
        assert 'id="answers-withheld"' not in page


def test_a_pass_shows_the_full_answers_of_every_attempt(client, with_concept, make_user, session):
    login(client, make_user(Role.TRAINEE))
    failed = _start(client)
    _submit(client, failed, {})
    assert "Correct answer:" not in _review(client, failed)
    _wait_out_the_delay(session, failed)
    passed = _start(client)
    _submit(client, passed, {**RIGHT, "a-single": ["a"]})
    assert "Correct answer:" in _review(client, passed)
    assert "Correct answer:" in _review(client, failed)


def test_coordinators_always_see_the_full_answers(client, with_concept, make_user, session):
    from app.coordination.services import add_member, create_cohort

    coordinator, trainee = make_user(Role.COORDINATOR), make_user(Role.TRAINEE)
    cohort = create_cohort("Review cohort", utcnow().date(), [coordinator.id])
    add_member(cohort.id, trainee.id)
    session.commit()
    login(client, trainee)
    failed = _start(client)
    _submit(client, failed, {})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, coordinator)
    page = _review(client, failed)
    assert "Correct answer:" in page
    assert "The <code>.env</code> file says 5000." in page
