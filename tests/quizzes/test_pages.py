"""The quiz pages: start, save, submit, review; refusals; coordinators' statistics and regrade."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.auth.models import Role
from app.coordination.services import add_member, create_cohort
from app.quizzes import services
from app.quizzes.models import QuizAttempt
from tests.conftest import csrf_token, login
from tests.quizzes.conftest import RIGHT, right_answer


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


def _start(client, quiz_page="/days/day-01/quiz", quiz_id="alpha-quiz") -> int:
    token = csrf_token(client, quiz_page)
    response = client.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(r"/quizzes/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _form(token, answers):
    return {"csrf_token": token, **{f"q-{qid}": values for qid, values in answers.items()}}


def _submit(client, attempt_id, answers):
    token = csrf_token(client, f"/quizzes/attempts/{attempt_id}")
    return client.post(f"/quizzes/attempts/{attempt_id}/submit", data=_form(token, answers))


def test_a_trainee_takes_the_day_quiz_and_sees_the_review(client, use_catalog, trainee, session):
    login(client, trainee)
    page = client.get("/days/day-01/quiz").get_data(as_text=True)
    assert "Alpha quiz" in page
    assert "Pass mark: <strong>60%</strong>" in page
    attempt_id = _start(client)
    paper = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    for question_id in RIGHT:
        assert f'name="q-{question_id}"' in paper
    assert paper.count('class="question card"') == 7

    token = csrf_token(client, f"/quizzes/attempts/{attempt_id}")
    saved = client.post(
        f"/quizzes/attempts/{attempt_id}/save", data=_form(token, {"a-tf": ["true"]})
    )
    assert saved.get_json() == {"saved": True, "review": None}
    assert 'value="true" checked' in client.get(f"/quizzes/attempts/{attempt_id}").get_data(
        as_text=True
    )

    response = _submit(client, attempt_id, {**RIGHT, "a-single": ["a"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/review")
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<span id="score">85.7%</span>' in review
    assert "passed" in review
    assert "The `.env` file says 5000." not in review  # rendered as Markdown
    assert "The <code>.env</code> file says 5000." in review
    assert "Correct answer:" in review
    assert "after a question was corrected" not in review
    # The quiz page now shows the pass and no start button.
    page = client.get("/days/day-01/quiz").get_data(as_text=True)
    assert 'id="quiz-passed"' in page
    assert 'id="start-quiz"' not in page
    # And day 1 counts the quiz.
    day = client.get("/days/day-01").get_data(as_text=True)
    assert "1 / 2 done" in day


def test_score_only_review_hides_answers(client, use_catalog, trainee):
    login(client, trainee)
    attempt_id = _start(client, "/assessment", "final-assessment")
    attempt = services.lock_attempt(attempt_id)
    final = use_catalog.sections["quizzes"].assessment
    answers = {qid: right_answer(final.question(qid)) for qid in attempt.question_ids}
    review = client.get(_submit(client, attempt_id, answers).headers["Location"])
    text = review.get_data(as_text=True)
    assert '<span id="score">100.0%</span>' in text
    assert "This quiz shows your score only." in text
    assert "Correct answer:" not in text
    assert "Look before you act." not in text


def test_a_day_without_a_quiz_and_an_unknown_day(client, use_catalog, trainee):
    login(client, trainee)
    assert "has no quiz" in client.get("/days/day-02/quiz").get_data(as_text=True)
    assert client.get("/days/day-99/quiz").status_code == 404
    assert client.get("/quizzes/attempts/999999/review").status_code == 404


def test_someone_elses_attempt_is_not_found(client, use_catalog, make_user, session):
    owner = make_user(Role.TRAINEE)
    login(client, owner)
    attempt_id = _start(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, make_user(Role.TRAINEE))
    token = csrf_token(client, "/plan")
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/quizzes/attempts/{attempt_id}/review").status_code == 404
    assert (
        client.post(f"/quizzes/attempts/{attempt_id}/save", data=_form(token, RIGHT)).status_code
        == 404
    )
    assert (
        client.post(f"/quizzes/attempts/{attempt_id}/submit", data=_form(token, RIGHT)).status_code
        == 404
    )
    attempt = session.get(QuizAttempt, attempt_id)
    session.refresh(attempt)
    assert attempt.is_open
    assert attempt.answers == {}


@pytest.mark.parametrize(
    "extra",
    [
        {"no-such-question": ["a"]},
        {"f-scenario-1": ["a"]},
        {"a-single": ["z"]},
        {"a-tf": ["maybe"]},
    ],
)
def test_tampered_submission_is_refused_over_http(client, use_catalog, trainee, session, extra):
    login(client, trainee)
    attempt_id = _start(client)
    response = _submit(client, attempt_id, {**RIGHT, **extra})
    assert response.status_code == 400
    assert "refused" in response.get_data(as_text=True)
    attempt = session.get(QuizAttempt, attempt_id)
    session.refresh(attempt)
    assert attempt.is_open
    assert attempt.score is None
    assert attempt.answers == {}


def test_a_second_submit_is_refused_over_http(client, use_catalog, trainee, session):
    login(client, trainee)
    attempt_id = _start(client)
    token = csrf_token(client, f"/quizzes/attempts/{attempt_id}")
    assert (
        client.post(f"/quizzes/attempts/{attempt_id}/submit", data=_form(token, {})).status_code
        == 302
    )
    again = client.post(f"/quizzes/attempts/{attempt_id}/submit", data=_form(token, RIGHT))
    assert again.status_code == 409
    attempt = session.get(QuizAttempt, attempt_id)
    session.refresh(attempt)
    assert attempt.score == 0.0
    assert attempt.answers == {}


def test_submit_without_csrf_is_refused(client, use_catalog, trainee):
    login(client, trainee)
    attempt_id = _start(client)
    response = client.post(f"/quizzes/attempts/{attempt_id}/submit", data={"q-a-single": "b"})
    assert response.status_code == 400


def test_refusal_is_shown_on_the_quiz_page(client, use_catalog, trainee):
    login(client, trainee)
    _submit(client, _start(client), {})
    response = client.post(
        "/quizzes/alpha-quiz/start", data={"csrf_token": csrf_token(client, "/days/day-01/quiz")}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You can start another attempt at" in page


@pytest.fixture
def team(make_user, session):
    """A coordinator with one trainee in their cohort, and a trainee in nobody's cohort."""
    coordinator = make_user(Role.COORDINATOR)
    mine = make_user(Role.TRAINEE, name="Mina Mine")
    other = make_user(Role.TRAINEE, name="Otto Other")
    cohort = create_cohort("Quiz cohort", date(2026, 11, 2), [coordinator.id])
    add_member(cohort.id, mine.id)
    session.commit()
    return coordinator, mine, other


def _take_as(client, user, answers):
    login(client, user)
    attempt_id = _start(client)
    _submit(client, attempt_id, answers)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    return attempt_id


def test_statistics_show_only_the_coordinators_trainees(client, use_catalog, team, make_user):
    coordinator, mine, other = team
    _take_as(client, mine, {**RIGHT, "a-single": ["c"], "a-multi": ["a", "d"]})
    _take_as(client, other, {**RIGHT, "a-single": ["a"]})
    login(client, coordinator)
    page = client.get("/quizzes/statistics?quiz=alpha-quiz").get_data(as_text=True)
    assert "<strong>1</strong> submitted attempt(s)" in page
    assert "<svg" in page
    assert 'class="histogram"' in page
    single = re.search(r'<tr id="stat-a-single">(.*?)</tr>', page, re.S).group(1)
    assert "0.0%" in single
    assert "<code>3000</code>" not in single  # option text is shown as written, not rendered
    assert "`3000` <small>(1\u00d7)</small>" in single
    multi = re.search(r'<tr id="stat-a-multi">(.*?)</tr>', page, re.S).group(1)
    assert "Kafka <small>(1\u00d7)</small>" in multi
    assert "Mina Mine" in page
    assert "Otto Other" not in page

    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, make_user(Role.ADMIN))
    page = client.get("/quizzes/statistics?quiz=alpha-quiz").get_data(as_text=True)
    assert "<strong>2</strong> submitted attempt(s)" in page
    assert "Otto Other" in page
    assert client.get("/quizzes/statistics?quiz=nope").status_code == 404


def test_a_coordinator_reviews_their_trainees_attempt_in_full(client, use_catalog, team):
    coordinator, mine, other = team
    my_attempt = _take_as(client, mine, RIGHT)
    other_attempt = _take_as(client, other, RIGHT)
    login(client, coordinator)
    review = client.get(f"/quizzes/attempts/{my_attempt}/review").get_data(as_text=True)
    assert "Mina Mine" in review
    assert "Correct answer:" in review
    assert client.get(f"/quizzes/attempts/{other_attempt}/review").status_code == 404


def test_trainees_cannot_see_statistics_or_regrade(client, use_catalog, trainee):
    login(client, trainee)
    assert client.get("/quizzes/statistics").status_code == 403
    assert client.get("/quizzes/alpha-quiz/regrade").status_code == 403


def test_regrade_page_previews_and_applies(
    client, use_catalog, team, monkeypatch, content_dir, app
):
    from tests.quizzes.conftest import build_catalog

    coordinator, mine, _ = team
    attempt_id = _take_as(client, mine, {**RIGHT, "a-single": ["c"]})
    quiz_file = content_dir / "day-01-alpha" / "quiz.yaml"
    quiz_file.write_text(quiz_file.read_text().replace("    answer: b\n", "    answer: c\n", 1))
    monkeypatch.setitem(app.extensions, "academy.catalog", build_catalog(content_dir))
    login(client, coordinator)
    page = client.get("/quizzes/alpha-quiz/regrade").get_data(as_text=True)
    assert '<strong id="changing">1</strong>' in page
    assert "85.7% → <strong>100.0%</strong>" in page
    token = csrf_token(client, "/quizzes/alpha-quiz/regrade")
    refused = client.post("/quizzes/alpha-quiz/regrade", data={"csrf_token": token})
    assert "This field is required." in refused.get_data(as_text=True)
    done = client.post(
        "/quizzes/alpha-quiz/regrade", data={"csrf_token": token, "reason": "a-single key"}
    )
    assert done.status_code == 302
    page = client.get("/quizzes/alpha-quiz/regrade").get_data(as_text=True)
    assert "a-single key" in page
    assert "Every attempt is already graded against the current questions." in page
    review = client.get(f"/quizzes/attempts/{attempt_id}/review").get_data(as_text=True)
    assert '<span id="score">100.0%</span>' in review
    assert "after a question was corrected" in review


def test_a_coordinator_grants_an_extra_attempt(client, use_catalog, team, session):
    coordinator, mine, other = team
    login(client, mine)
    for _ in range(2):
        attempt_id = _start(client)
        _submit(client, attempt_id, {})
        attempt = session.get(QuizAttempt, attempt_id)
        attempt.submitted_at = attempt.submitted_at.replace(year=2020)
        session.commit()
    assert "used all 2 attempts" in client.get("/days/day-01/quiz").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, coordinator)
    page = client.get("/quizzes/statistics?quiz=alpha-quiz").get_data(as_text=True)
    assert "Allow one more attempt" in page
    token = csrf_token(client, "/quizzes/statistics")
    url = f"/quizzes/alpha-quiz/trainees/{mine.id}/extra-attempt"
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    other_url = f"/quizzes/alpha-quiz/trainees/{other.id}/extra-attempt"
    assert client.post(other_url, data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, mine)
    assert 'id="start-quiz"' in client.get("/days/day-01/quiz").get_data(as_text=True)


def test_hot_pages_use_a_fixed_number_of_queries(client, use_catalog, make_user, count_queries):
    trainees = [make_user(Role.TRAINEE) for _ in range(3)]
    attempt_ids = [_take_as(client, t, RIGHT) for t in trainees]
    login(client, trainees[0])
    counter = count_queries()
    assert client.get(f"/quizzes/attempts/{attempt_ids[0]}/review").status_code == 200
    review_queries = counter.count
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, make_user(Role.ADMIN))
    counter = count_queries()
    assert client.get("/quizzes/statistics?quiz=alpha-quiz").status_code == 200
    statistics_queries = counter.count
    print(f"queries: review {review_queries}, statistics {statistics_queries}")
    assert review_queries <= 5
    assert statistics_queries <= 8
