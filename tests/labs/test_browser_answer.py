"""In Chromium: a typed answer's result (wrong, or refused) appears right under its field.

The lab page talks to the server only through its JSON endpoints, so the browser's requests to
them are answered here: no sandbox is needed to watch the page react to a wrong answer.
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from sqlalchemy import update

from app.auth.models import Role
from app.content import get_catalog
from app.extensions import db
from app.labs.models import LabSession, SessionStatus
from app.labs.services import start_session

pytestmark = pytest.mark.browser

PASSWORD = "an answer browser password 5"
WRONG = "That is not the number of calls pg_stat_statements shows for the slow query."


def test_a_wrong_answer_is_explained_next_to_the_field(live_server, page):
    tag = uuid.uuid4().hex[:8]
    trainee = live_server.create_user(
        Role.TRAINEE, f"answer-{tag}@example.test", "Answer Trainee", PASSWORD
    )

    def active_session() -> int:
        catalog = get_catalog()
        lab = catalog.sections["labs"]["slow-query"]
        session = start_session(trainee.id, lab, catalog.version)
        db.session.flush()
        db.session.execute(
            update(LabSession)
            .where(LabSession.id == session.id)
            .values(status=SessionStatus.ACTIVE.value)
        )
        return session.id

    session_id = live_server.run(active_session)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", trainee.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/plan")

    real = page.request.get(f"{live_server.url}/labs/sessions/{session_id}/status").json()
    task = next(t for t in real["tasks"] if any(c["kind"] == "answer" for c in t["checks"]))
    check = next(c for c in task["checks"] if c["kind"] == "answer")
    checking = copy.deepcopy(real)
    checking["pending_runs"] = [999_999]
    checking["run"] = 999_999
    judged = copy.deepcopy(real)
    for item in judged["tasks"]:
        for one in item["checks"]:
            if one["id"] == check["id"]:
                one.update(outcome="failed", message=WRONG, tries_left=check["tries_left"] - 1)
    polls = {"after_answer": 0, "answered": False}

    def status(route) -> None:
        body = real
        if polls["answered"]:
            polls["after_answer"] += 1
            body = checking if polls["after_answer"] < 3 else judged
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def answer(route) -> None:
        polls["answered"] = True
        route.fulfill(status=200, content_type="application/json", body=json.dumps(checking))

    page.route("**/status", status)
    page.route("**/check", status)
    page.route("**/answer", answer)
    page.goto(f"{live_server.url}/labs/sessions/{session_id}/work")

    form = page.locator(f'form.answer-form[data-check="{check["id"]}"]')
    field = form.locator('input[name="answer"]')
    feedback = form.locator(".answer-feedback")
    assert feedback.get_attribute("role") == "status"
    assert field.get_attribute("aria-describedby") == feedback.get_attribute("id")
    field.fill("12")
    form.locator("button[type=submit]").click()
    feedback.filter(has_text=WRONG).wait_for()
    assert "is-wrong" in feedback.get_attribute("class")
    # Right under the field, and on screen where the trainee typed.
    below = field.bounding_box()
    shown = feedback.bounding_box()
    assert 0 <= shown["y"] - (below["y"] + below["height"]) < 60, (below, shown)
    assert feedback.is_visible()
    assert shown["y"] + shown["height"] <= page.viewport_size["height"]
    assert form.locator(".tries-left").inner_text() == f"{check['tries_left'] - 1} tries left"

    # A refusal (e.g. no tries left) is shown in the same place, not at the top of the page.
    page.unroute("**/answer")
    page.route(
        "**/answer",
        lambda route: route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": "No tries are left for this answer."}),
        ),
    )
    form.locator("button[type=submit]").click()
    feedback.filter(has_text="No tries are left for this answer.").wait_for()
    assert page.locator("#lab-warning").is_hidden()
