"""End to end in Chromium: a trainee starts the slow-query lab, waits for the sandbox, types the
lab's real commands into the terminal, and watches the tasks turn passed without reloading."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.labs.models import CheckRun, LabSession
from tests.labs.conftest import catalog_with, real_lab

pytestmark = [pytest.mark.docker, pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a lab browser password 1"
# The pager would swallow the next command typed, as it would a trainee's.
PSQL = "psql -P pager=off -d impactlink_prod"


def type_command(page, command: str) -> None:
    """Type a command into the terminal with the keyboard and press Enter."""
    page.locator(".terminal-screen").click()
    page.keyboard.type(command, delay=5)
    page.keyboard.press("Enter")


def wait_until_set_up(server, user_id: int, timeout: float = 180) -> LabSession:
    """Wait for the user's session to leave start-up; fail with its error if it did not open."""
    deadline = time.monotonic() + timeout
    while True:
        with server.app.app_context():
            found = db.session.scalar(select(LabSession).where(LabSession.user_id == user_id))
            if found is not None and found.status not in ("starting", "setting_up"):
                assert found.status == "active", f"{found.status}: {found.error}"
                db.session.expunge(found)
                return found
            state = (found.status, found.progress) if found else None
        assert time.monotonic() < deadline, f"the lab never became ready: {state}"
        time.sleep(0.5)


def test_trainee_passes_slow_query_by_typing_in_the_terminal(lab_server, page, monkeypatch):
    lab = real_lab("slow-query")
    monkeypatch.setitem(lab_server.app.extensions, "academy.catalog", catalog_with(lab))
    trainee = lab_server.create_user(
        Role.TRAINEE, "lab.browser@example.test", "Lab Browser", PASSWORD
    )
    page.set_default_timeout(30_000)
    page.goto(lab_server.url + "/login")
    page.fill("input[name=email]", trainee.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(lab_server.url + "/labs/slow-query")
    page.click("#start-lab")
    page.wait_for_url(re.compile(r".*/labs/sessions/\d+/work$"))
    assert page.locator("#lab-starting").is_visible()  # real progress while the sandbox starts

    session = wait_until_set_up(lab_server, trainee.id)
    column = session.values["column"]
    page.wait_for_selector(".sandbox-terminal.is-connected", timeout=120_000)  # a busy machine
    rows = page.locator(".terminal-screen .xterm-rows")
    rows.get_by_text("impactlink@").first.wait_for()

    # First what pg_stat_statements says (before the trainee's own statements change it)...
    type_command(
        page,
        PSQL + " -At -c \"SELECT 'CALLS=' || calls FROM pg_stat_statements "  # noqa: S608
        'ORDER BY total_exec_time DESC LIMIT 1"',
    )
    shown = rows.get_by_text(re.compile(r"^CALLS=\d+")).first
    shown.wait_for()
    calls = shown.inner_text().strip().removeprefix("CALLS=")
    find = page.locator('li.task[data-task="find-query"]')
    find.locator('input[name="answer"]').fill(calls)
    find.locator(".answer-form button").click()
    find.locator(".task-state", has_text="passed").wait_for(timeout=60_000)

    # ...then the index, built without locking writes, and the proof that the planner uses it.
    type_command(
        page,
        f'{PSQL} -c "CREATE INDEX CONCURRENTLY idx_slow ON donations ({column}, created_at DESC)"',
    )
    type_command(page, f'{PSQL} -c "ANALYZE donations"')
    add_index = page.locator('li.task[data-task="add-index"]')
    add_index.locator(".task-state", has_text="passed").wait_for(timeout=60_000)  # continuous

    type_command(
        page,
        f'{PSQL} -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, amount, created_at '  # noqa: S608
        f"FROM donations WHERE {column} = (SELECT {column} FROM donations "
        f'WHERE {column} IS NOT NULL LIMIT 1) ORDER BY created_at DESC LIMIT 20"',
    )
    rows.get_by_text("Execution Time").first.wait_for()
    prove = page.locator('li.task[data-task="prove-it"]')
    prove.locator("button.check-task").click()
    prove.locator(".task-state", has_text="passed").wait_for(timeout=60_000)
    page.locator("#lab-notice", has_text="Every task passed").wait_for()

    with lab_server.app.app_context():
        session = db.session.get(LabSession, session.id)
        assert session.completed_at is not None
        triggers = set(
            db.session.scalars(select(CheckRun.trigger).where(CheckRun.session_id == session.id))
        )
        assert {"auto", "button"} <= triggers
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#finish-lab")
    page.wait_for_url(re.compile(rf".*/labs/sessions/{session.id}$"))
    assert "every task passed" in page.locator("#session-status").inner_text()
