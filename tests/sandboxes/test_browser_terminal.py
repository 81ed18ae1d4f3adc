"""In a real browser: the owner types in xterm.js, a coordinator watches live, the replay plays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.sandboxes.models import TerminalRecording
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.docker, pytest.mark.browser]


def _log_in(page, server, user) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_terminal_watch_and_replay_in_the_browser(
    chromium, sandbox_server, sandbox_app, people, shared_sandbox
):
    owner_context = chromium.browser.new_context(viewport={"width": 1280, "height": 900})
    watcher_context = chromium.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        owner = owner_context.new_page()
        owner.set_default_timeout(20_000)
        _log_in(owner, sandbox_server, people.owner)
        owner.goto(f"{sandbox_server.url}/sandboxes/{shared_sandbox}")
        owner.wait_for_selector(".sandbox-terminal.is-connected")
        rows = owner.locator(".terminal-screen .xterm-rows")
        rows.get_by_text("impactlink@").first.wait_for()
        owner.locator(".terminal-screen").click()
        owner.keyboard.type("echo browser-$((20 + 22))")
        owner.keyboard.press("Enter")
        rows.get_by_text("browser-42").first.wait_for()

        watcher = watcher_context.new_page()
        watcher.set_default_timeout(20_000)
        _log_in(watcher, sandbox_server, people.coordinator)
        watcher.goto(f"{sandbox_server.url}/sandboxes/{shared_sandbox}")
        watcher.wait_for_selector(".sandbox-terminal.is-connected")
        assert "read-only" in watcher.locator(".terminal-state").inner_text()
        watched = watcher.locator(".terminal-screen .xterm-rows")
        watched.get_by_text("browser-42").first.wait_for()  # what was on screen before
        owner.keyboard.type("echo while-watched")
        owner.keyboard.press("Enter")
        watched.get_by_text("while-watched").last.wait_for()  # and what comes live

        owner.close()  # hang up: the recording ends
        with sandbox_app.app_context():
            recording = db.session.scalar(
                select(TerminalRecording)
                .where(TerminalRecording.sandbox_id == shared_sandbox)
                .order_by(TerminalRecording.id.desc())
            )
            assert recording is not None
            recording_id = recording.id
        watcher.goto(f"{sandbox_server.url}/recordings/{recording_id}")
        watcher.wait_for_selector("#player .ap-player")
        watcher.locator("#player .ap-player").click()  # play: the emulator runs (WebAssembly)
        watcher.locator("#player").get_by_text("browser-42").first.wait_for()
    finally:
        owner_context.close()
        watcher_context.close()
