"""In Chromium: a trainee records a shadow shift; their coordinator approves it from the queue."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.certification.models import Attestation
from app.coordination.services import add_member, create_cohort
from app.extensions import db

pytestmark = pytest.mark.browser

PASSWORD = "a browser password 7"


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_coordinator_approves_an_attestation_in_the_browser(live_server, page):
    tag = uuid.uuid4().hex[:8]
    coordinator = live_server.create_user(
        Role.COORDINATOR, f"coord-{tag}@example.test", "Browser Coordinator", PASSWORD
    )
    trainee = live_server.create_user(
        Role.TRAINEE, f"trainee-{tag}@example.test", "Browser Trainee", PASSWORD
    )

    def team() -> None:
        cohort = create_cohort(
            f"Browser cohort {tag}", date.today() - timedelta(days=3), [coordinator.id]
        )
        add_member(cohort.id, trainee.id)

    live_server.run(team)

    # The trainee records a shadow shift on the sign-off page.
    _log_in(page, live_server.url, trainee.email)
    page.wait_for_url("**/plan")
    page.goto(live_server.url + "/signoff")
    page.select_option("select[name=kind]", "shadow_shift")
    page.fill("input[name=occurred_on]", (date.today() - timedelta(days=1)).isoformat())
    page.fill("input[name=counterpart]", "Sipho on call")
    page.fill(
        "textarea[name=description]",
        "Shadowed the night shift and handled the disk alert with Sipho.",
    )
    page.click("#attested-work button[type=submit]")
    page.wait_for_url("**/signoff*")
    assert (
        "0 of 2 approved, 1 waiting"
        in page.locator('tr[data-item="shadow-shifts"] .summary').inner_text()
    )
    page.click("form[action='/logout'] button")

    # The coordinator finds it waiting, comments and approves.
    _log_in(page, live_server.url, coordinator.email)
    page.wait_for_url("**/team")
    assert "1 attestation waiting" in page.locator(".callout").inner_text()
    page.click("text=1 attestation waiting for your approval")
    page.wait_for_url("**/team/approvals")
    item = page.locator("li.attestation", has_text="Sipho on call")
    item.locator("textarea[name=comment]").fill("Confirmed with Sipho.")
    item.locator("button[value=approve]").click()
    page.wait_for_url("**/team/approvals")
    assert "approved" in page.locator(".flash").inner_text()
    assert page.locator("#queue-empty").is_visible()

    def status() -> tuple[str, str, int | None]:
        found = db.session.scalar(select(Attestation).where(Attestation.user_id == trainee.id))
        return found.status, found.review_comment, found.reviewer_id

    assert live_server.run(status) == ("approved", "Confirmed with Sipho.", coordinator.id)

    # The trainee sees it counted.
    page.click("form[action='/logout'] button")
    _log_in(page, live_server.url, trainee.email)
    page.goto(live_server.url + "/signoff")
    assert "1 of 2 approved" in page.locator('tr[data-item="shadow-shifts"] .summary').inner_text()
