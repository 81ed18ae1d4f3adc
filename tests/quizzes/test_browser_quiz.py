"""A trainee takes quizzes in Chromium: submits and sees the review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.auth.models import Role
from tests.quizzes.conftest import CONTENT, build_catalog

pytestmark = pytest.mark.browser

PASSWORD = "a quiz browser password"


def _log_in(live_server, page, email):
    live_server.create_user(Role.TRAINEE, email, "Quiz Taker", PASSWORD)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/plan")


def test_a_trainee_takes_the_day_one_quiz_and_sees_the_review(live_server, page):
    _log_in(live_server, page, "quiz.day1@example.test")
    page.goto(live_server.url + "/days/day-01")
    page.click("text=Day 1 quiz")
    page.wait_for_url("**/days/day-01/quiz")
    page.click("#start-quiz")
    page.wait_for_url(re.compile(r".*/quizzes/attempts/\d+$"))
    questions = page.locator("fieldset.question")
    assert questions.count() == 12
    for index in range(questions.count()):
        question = questions.nth(index)
        kind = question.get_attribute("data-type")
        if kind in ("single", "multiple", "truefalse"):
            question.locator("input").first.check()
        elif kind == "ordering":
            question.locator("button.move-down").first.click()
        else:
            question.locator("input[type=text]").fill("42")
    page.click("#submit-quiz")
    page.wait_for_url(re.compile(r".*/review$"))
    assert page.locator("h1").inner_text().startswith("Review:")
    assert re.fullmatch(r"\d+(\.\d)?%", page.locator("#score").inner_text())
    assert page.locator("li.review-item").count() == 12
    if not page.locator("#result .badge.ok").count():
        # Failed with attempts left: which answers were wrong, never the keys or explanations.
        assert page.locator(".explanation").count() == 0
        assert "Correct answer:" not in page.content()
    page.click("text=Back to the quiz")
    assert page.locator("table.attempts tbody tr").count() == 1


def test_answers_are_saved_as_you_go_and_ordering_uses_the_arrows(live_server, page, monkeypatch):
    monkeypatch.setitem(live_server.app.extensions, "academy.catalog", build_catalog(CONTENT))
    _log_in(live_server, page, "quiz.alpha@example.test")
    page.goto(live_server.url + "/days/day-01/quiz")
    page.click("#start-quiz")
    page.wait_for_url(re.compile(r".*/quizzes/attempts/\d+$"))
    page.check('input[name="q-a-single"][value="b"]')
    for option in ("a", "b", "c"):
        page.check(f'input[name="q-a-multi"][value="{option}"]')
    page.check('input[name="q-a-tf"][value="false"]')
    page.fill('input[name="q-a-text"]', "  PostgreSQL ")
    page.fill('input[name="q-a-num"]', "5000")
    page.fill('input[name="q-a-float"]', "1.6")
    order = page.locator('ol.ordering[data-question="a-order"] input')

    def shown() -> list[str]:
        return [order.nth(i).get_attribute("value") for i in range(order.count())]

    for target, option in enumerate(("backup", "edit", "test", "reload")):
        while shown().index(option) > target:
            page.locator(f'ol.ordering li:has(input[value="{option}"]) button.move-up').click()
    assert shown() == ["backup", "edit", "test", "reload"]
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^ · saved$"))
    # Resuming shows what was saved, in the order the trainee put it.
    page.reload()
    assert page.locator('input[name="q-a-single"][value="b"]').is_checked()
    assert page.locator('input[name="q-a-float"]').input_value() == "1.6"
    assert shown() == ["backup", "edit", "test", "reload"]
    page.click("#submit-quiz")
    page.wait_for_url(re.compile(r".*/review$"))
    assert page.locator("#score").inner_text() == "100.0%"
    assert page.locator("#result .badge.ok").inner_text() == "passed"


def _deadline_in(attempt_id: int, seconds: int) -> None:
    from datetime import timedelta

    from app.clock import utcnow
    from app.extensions import db
    from app.quizzes.models import QuizAttempt

    attempt = db.session.get(QuizAttempt, attempt_id)
    attempt.deadline = utcnow() + timedelta(seconds=seconds)


def test_the_countdown_submits_the_paper_when_time_runs_out(live_server, page, monkeypatch):
    monkeypatch.setitem(live_server.app.extensions, "academy.catalog", build_catalog(CONTENT))
    _log_in(live_server, page, "quiz.clock@example.test")
    page.goto(live_server.url + "/assessment")
    assert "Time limit: 30 minutes" in page.locator(".quiz-rules").inner_text()
    page.click("#start-quiz")
    page.wait_for_url(re.compile(r".*/quizzes/attempts/\d+$"))
    assert page.locator("#countdown strong").inner_text() in ("30:00", "29:59")
    attempt_id = int(page.url.rsplit("/", 1)[1])
    live_server.run(_deadline_in, attempt_id, 2)
    page.reload()
    page.wait_for_url(re.compile(r".*/review$"))
    assert page.locator("#score").inner_text() == "0.0%"
    assert "This quiz shows your score only." in page.content()
