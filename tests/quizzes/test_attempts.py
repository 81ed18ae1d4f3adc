"""Attempts: the draw, limits and delays, the time limit, tampering, and what others ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.clock import utcnow
from app.learning.services import day_statuses
from app.quizzes import services
from app.quizzes.grading import TamperedSubmission
from app.quizzes.models import QuestionVersion, QuizAttempt
from app.quizzes.paper import draw_paper
from tests.quizzes.conftest import right_answer, shown_order


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


def test_the_paper_is_stored_and_reproduced_from_its_seed(session, trainee, final, start):
    attempt = start(trainee.id, final, seed=1234)
    stored = attempt.paper["questions"]
    assert len(stored) == 3
    tagged = [e["id"] for e in stored if "scenario" in final.question(e["id"]).tags]
    assert len(tagged) >= 2
    again = [e.as_json() for e in draw_paper(final, attempt.paper["seed"])]
    assert again == stored
    assert attempt.content_version
    assert attempt.deadline is not None
    assert attempt.deadline - attempt.started_at == timedelta(minutes=30)


def test_different_seeds_draw_different_papers(final, alpha):
    papers = {tuple(e.question.id for e in draw_paper(final, seed)) for seed in range(30)}
    assert len(papers) > 5
    orders = {
        tuple(shuffled.options)
        for seed in range(30)
        for shuffled in draw_paper(alpha, seed)
        if shuffled.question.id == "a-multi"
    }
    assert len(orders) > 5


def test_ordering_options_never_start_in_the_right_order(alpha):
    for seed in range(200):
        entry = next(e for e in draw_paper(alpha, seed) if e.question.id == "a-order")
        assert list(entry.options) != ["backup", "edit", "test", "reload"]


def test_every_question_version_is_stored_once(session, make_user, alpha, start):
    first = start(make_user(Role.TRAINEE).id, alpha)
    start(make_user(Role.TRAINEE).id, alpha)
    stored = session.scalar(select(func.count(QuestionVersion.id)))
    assert stored == 7
    row = session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == "a-single"))
    assert row.definition["answer"] == "b"
    assert row.version == next(
        e["version"] for e in first.paper["questions"] if e["id"] == "a-single"
    )


def test_starting_again_resumes_the_open_attempt(session, trainee, alpha, start):
    first = start(trainee.id, alpha)
    assert start(trainee.id, alpha).id == first.id
    assert session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_submit_grades_on_the_server(session, trainee, alpha, start, catalog, answer_all):
    attempt = start(trainee.id, alpha)
    services.submit(attempt, answer_all(attempt, a_multi=["a", "b"], a_text=None), catalog)
    assert attempt.submitted_at is not None
    assert attempt.results["a-multi"]["points"] == pytest.approx(2 / 3, abs=1e-6)
    assert attempt.results["a-text"]["points"] == 0.0
    assert attempt.score == pytest.approx(100 * (5 + 2 / 3) / 7, abs=0.05)
    assert attempt.passed is True
    assert attempt.graded_version == catalog.version
    assert services.quiz_passed(trainee.id, alpha.id)
    assert not services.assessment_passed(trainee.id)
    assert [a.id for a in services.attempts_for(trainee.id)] == [attempt.id]


def test_a_score_below_the_pass_mark_fails(session, trainee, alpha, start, catalog, answer_all):
    attempt = start(trainee.id, alpha)
    wrong = {"a_single": ["a"], "a_tf": ["true"], "a_num": ["3000"]}
    services.submit(attempt, answer_all(attempt, **wrong), catalog)
    assert attempt.score == pytest.approx(57.1)
    assert attempt.passed is False
    assert not services.quiz_passed(trainee.id, alpha.id)


def test_attempt_limit_and_delay(session, trainee, alpha, start, catalog):
    t0 = utcnow()
    first = start(trainee.id, alpha, now=t0)
    services.submit(first, {}, catalog, now=t0 + timedelta(minutes=1))
    assert first.passed is False
    with pytest.raises(services.AttemptRefused, match="another attempt at"):
        start(trainee.id, alpha, now=t0 + timedelta(minutes=10))
    standing = services.standing(trainee.id, alpha, now=t0 + timedelta(minutes=5))
    assert standing.next_start_at == t0 + timedelta(minutes=11)
    assert standing.attempts_left == 1
    second = start(trainee.id, alpha, now=t0 + timedelta(minutes=11, seconds=1))
    assert second.number == 2
    services.submit(second, {}, catalog, now=t0 + timedelta(minutes=12))
    with pytest.raises(services.AttemptRefused, match="used all 2 attempts"):
        start(trainee.id, alpha, now=t0 + timedelta(days=1))


def test_a_coordinator_can_grant_one_more_attempt(
    session, trainee, make_user, alpha, start, catalog
):
    t0 = utcnow() - timedelta(days=1)
    for n in range(2):
        services.submit(
            start(trainee.id, alpha, now=t0 + timedelta(hours=n)),
            {},
            catalog,
            now=t0 + timedelta(hours=n),
        )
    with pytest.raises(services.AttemptRefused):
        start(trainee.id, alpha)
    services.grant_extra_attempt(trainee.id, alpha.id, make_user(Role.COORDINATOR).id, "illness")
    assert start(trainee.id, alpha).number == 3


def test_no_new_attempt_after_passing(session, trainee, alpha, start, catalog, answer_all):
    attempt = start(trainee.id, alpha)
    services.submit(attempt, answer_all(attempt), catalog)
    assert attempt.score == 100.0
    with pytest.raises(services.AttemptRefused, match="passed"):
        start(trainee.id, alpha, now=utcnow() + timedelta(hours=1))


def test_a_second_submit_is_refused_and_changes_nothing(
    session, trainee, alpha, start, catalog, answer_all
):
    attempt = start(trainee.id, alpha)
    services.submit(attempt, answer_all(attempt, a_single=["a"]), catalog)
    before = (dict(attempt.answers), dict(attempt.results), attempt.score, attempt.submitted_at)
    with pytest.raises(services.AttemptClosed):
        services.submit(attempt, answer_all(attempt), catalog)
    with pytest.raises(services.AttemptClosed):
        services.save_answers(attempt, answer_all(attempt), catalog)
    assert (attempt.answers, attempt.results, attempt.score, attempt.submitted_at) == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"no-such-question": ["a"]}, "unknown question"),
        ({"f-scenario-1": ["a"]}, "not part of this attempt"),
        ({"a-single": ["z"]}, "not an option"),
        ({"a-order": ["backup", "edit"]}, "every option once"),
    ],
)
def test_tampered_submissions_leave_the_attempt_unchanged(
    session, trainee, alpha, start, catalog, answer_all, raw, message
):
    attempt = start(trainee.id, alpha)
    services.save_answers(attempt, {"a-single": ["b"]}, catalog)
    session.commit()
    with pytest.raises(TamperedSubmission, match=message):
        services.submit(attempt, {**answer_all(attempt), **raw}, catalog)
    with pytest.raises(TamperedSubmission, match=message):
        services.save_answers(attempt, raw, catalog)
    session.rollback()
    session.refresh(attempt)
    assert attempt.is_open
    assert attempt.answers == {"a-single": "b"}
    assert attempt.results is None
    assert attempt.score is None


def test_saved_answers_are_kept_for_resuming(session, trainee, alpha, start, catalog):
    attempt = start(trainee.id, alpha)
    order = shown_order(attempt, "a-order")
    assert services.save_answers(
        attempt, {"a-tf": ["true"], "a-order": order, "a-text": [" x "]}, catalog
    )
    items = {item.question.id: item for item in services.paper_of(attempt)}
    assert items["a-tf"].answer is True
    assert items["a-order"].answer == order
    assert items["a-text"].answer == "x"
    assert items["a-order"].options == tuple(order)


def test_submission_after_the_deadline_grades_what_was_saved_in_time(
    session, trainee, final, start, catalog
):
    t0 = utcnow()
    attempt = start(trainee.id, final, now=t0)
    first = attempt.question_ids[0]
    right = right_answer(final.question(first))
    services.save_answers(attempt, {first: right}, catalog, now=t0 + timedelta(minutes=10))
    everything = {qid: ["anything"] for qid in attempt.question_ids}
    services.submit(attempt, everything, catalog, now=t0 + timedelta(minutes=31))
    assert attempt.expired is True
    assert attempt.submitted_at == attempt.deadline
    assert attempt.answers == {first: services.paper_of(attempt)[0].answer}
    assert attempt.results[first]["points"] == 1.0
    assert sum(r["points"] for r in attempt.results.values()) == 1.0
    assert attempt.score == pytest.approx(33.3)


def test_a_submission_within_the_grace_period_counts(session, trainee, final, start, catalog):
    t0 = utcnow()
    attempt = start(trainee.id, final, now=t0)
    services.submit(attempt, {}, catalog, now=t0 + timedelta(minutes=30, seconds=20))
    assert attempt.expired is False
    assert attempt.submitted_at == t0 + timedelta(minutes=30, seconds=20)


def test_saving_after_the_deadline_closes_the_attempt(session, trainee, final, start, catalog):
    t0 = utcnow()
    attempt = start(trainee.id, final, now=t0)
    assert services.save_answers(attempt, {}, catalog, now=t0 + timedelta(minutes=45)) is False
    assert attempt.expired
    assert not attempt.is_open


def test_expired_attempts_are_closed_before_a_new_one_starts(
    session, trainee, final, start, catalog
):
    t0 = utcnow() - timedelta(hours=2)
    first = start(trainee.id, final, now=t0)
    assert services.close_expired(catalog, t0 + timedelta(minutes=29)) == 0
    second = start(trainee.id, final)
    assert second.id != first.id
    assert second.number == 2
    assert first.expired
    assert first.submitted_at == first.deadline
    assert first.score == 0.0


def test_day_completion_counts_the_quiz(session, trainee, alpha, start, catalog, answer_all):
    statuses = {s.day.id: s for s in day_statuses(trainee.id, catalog)}
    assert (statuses["day-01"].extra_done, statuses["day-01"].extra_total) == (0, 1)
    assert (statuses["day-02"].extra_done, statuses["day-02"].extra_total) == (0, 0)
    attempt = start(trainee.id, alpha)
    services.submit(attempt, answer_all(attempt), catalog)
    statuses = {s.day.id: s for s in day_statuses(trainee.id, catalog)}
    assert statuses["day-01"].extra_done == 1


def test_assessment_passed(session, trainee, final, start, catalog):
    attempt = start(trainee.id, final)
    raw = {item.question.id: right_answer(item.question) for item in services.paper_of(attempt)}
    services.submit(attempt, raw, catalog)
    assert attempt.passed
    assert services.assessment_passed(trainee.id)
    assert not services.assessment_passed(trainee.id, since=utcnow() + timedelta(seconds=5))
    assert attempt.kind == "assessment"
    assert attempt.day_id is None


def test_day_requirements_take_one_query_per_request(app, session, trainee, catalog, count_queries):
    from flask import g

    from app.quizzes import day_requirement

    day_one = catalog.day("day-01")
    counts = []
    for request_id, calls in (("first", 1), ("second", 30)):
        with app.test_request_context("/plan"):
            g.request_id = request_id
            counter = count_queries()
            results = {day_requirement(trainee.id, day_one, catalog) for _ in range(calls)}
            counts.append(counter.count)
        assert results == {(0, 1)}
    assert counts[1] <= counts[0]  # thirty asks cost no more than one
