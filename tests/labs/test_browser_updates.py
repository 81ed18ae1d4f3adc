"""In Chromium: a status update posted from the lab page appears in its list at once, stamped by
the server, without the page (and its terminal) being reloaded."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select, update

from app.auth.models import Role
from app.content import get_catalog
from app.extensions import db
from app.labs.models import LabSession, SessionStatus
from app.labs.services import start_session
from app.labs.updates import StatusUpdate

pytestmark = pytest.mark.browser

PASSWORD = "an update browser password 7"
TEXT = (
    "[INC-1234] Investigating: some pages of the site fail for donors. We are looking into it. "
    "Next update by 14:50 SAST."
)


def test_an_update_posted_on_the_lab_page_is_listed_without_a_reload(live_server, page):
    tag = uuid.uuid4().hex[:8]
    trainee = live_server.create_user(
        Role.TRAINEE, f"updates-{tag}@example.test", "Update Trainee", PASSWORD
    )

    def active_session() -> int:
        catalog = get_catalog()
        lab = catalog.sections["labs"]["inplace-recovery"]
        session = start_session(trainee.id, lab, catalog.version)
        db.session.flush()
        db.session.execute(
            update(LabSession)
            .where(LabSession.id == session.id)
            .values(status=SessionStatus.ACTIVE.value, ready_at=session.started_at)
        )
        return session.id

    session_id = live_server.run(active_session)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", trainee.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/plan")

    # The page's polling is answered with the session's real status (no sandbox runs here).
    real = page.request.get(f"{live_server.url}/labs/sessions/{session_id}/status").json()
    for path in ("**/status", "**/check"):
        page.route(
            path,
            lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(real)
            ),
        )
    page.goto(f"{live_server.url}/labs/sessions/{session_id}/work")
    page.evaluate("window.__notReloaded = true")

    form = page.locator("form.update-form")
    listed = page.locator("#status-updates-list")
    assert "No update has been posted yet." in listed.inner_text()
    form.locator("select[name=status]").select_option("investigating")
    form.locator("textarea[name=text]").fill(TEXT)
    form.locator("button[type=submit]").click()
    listed.locator("li.update").first.wait_for()
    item = listed.locator("li.update").first
    assert item.locator(".update-text").inner_text() == TEXT
    assert item.get_attribute("data-status") == "investigating"
    assert "after the lab was ready" in item.inner_text()
    assert form.locator(".update-feedback").inner_text() == "Posted."
    assert form.locator("textarea[name=text]").input_value() == ""
    assert page.evaluate("window.__notReloaded") is True

    def stored() -> list[tuple[str, str]]:
        rows = db.session.scalars(select(StatusUpdate).where(StatusUpdate.session_id == session_id))
        return [(u.status, u.text) for u in rows]

    assert live_server.run(stored) == [("investigating", TEXT)]

    # An empty update is refused with the reason next to the form, and nothing is stored.
    form.locator("textarea[name=text]").fill("   ")
    form.locator("button[type=submit]").click()
    form.locator(".update-feedback").filter(has_text="Choose the stage").wait_for()
    assert listed.locator("li.update").count() == 1
