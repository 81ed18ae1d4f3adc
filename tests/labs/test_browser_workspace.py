"""The lab workspace with a live terminal, in Chromium at 1280 and 390 px: no serious or critical
axe-core violation, nothing wider than the phone, the instructions above the terminal without a
scroll box of their own, and a notice with a full-screen terminal when it is under 80 columns."""

from __future__ import annotations

import re

import pytest

from app.auth.models import Role
from tests.browser import BLOCKING, DESKTOP, PHONE, Report, page_width, run_axe
from tests.labs.conftest import catalog_with, real_lab
from tests.labs.test_browser_lab import wait_until_set_up

pytestmark = [pytest.mark.docker, pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a workspace password 1"
# Whether an element scrolls inside a box of its own rather than with the page.
OWN_SCROLL = """selector => {
    const e = document.querySelector(selector);
    return e.scrollHeight > e.clientHeight + 1 && getComputedStyle(e).overflowY !== "visible";
}"""


def blocking(violations: list[dict]) -> list[str]:
    """Describe the serious and critical violations."""
    return [
        f"{v['impact']} {v['id']}: {v['nodes'][:3]}" for v in violations if v["impact"] in BLOCKING
    ]


def box(page, selector: str) -> dict:
    """Return an element's bounding box, failing when it is not shown."""
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def test_workspace_fits_a_phone_and_offers_a_full_screen_terminal(lab_server, page, monkeypatch):
    lab = real_lab("outage-502")
    monkeypatch.setitem(lab_server.app.extensions, "academy.catalog", catalog_with(lab))
    trainee = lab_server.create_user(
        Role.TRAINEE, "lab.layout@example.test", "Lab Layout", PASSWORD
    )
    report = Report()
    page.set_default_timeout(30_000)
    page.goto(lab_server.url + "/login")
    page.fill("input[name=email]", trainee.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(lab_server.url + f"/labs/{lab.id}")
    page.click("#start-lab")
    page.wait_for_url(re.compile(r".*/labs/sessions/\d+/work$"))
    session = wait_until_set_up(lab_server, trainee.id, timeout=300)  # a busy machine is slow
    page.wait_for_selector(".sandbox-terminal.is-connected", timeout=120_000)  # a busy machine
    page.locator(".terminal-screen .xterm-rows").get_by_text("@").first.wait_for()

    # A laptop: the instructions beside the terminal, which is wide enough.
    violations = run_axe(page)
    report.keep(page, "workspace-live", "desktop", violations, page_width(page))
    assert blocking(violations) == []
    assert page.locator("#terminal-narrow").is_hidden()
    assert box(page, ".lab-terminal")["x"] > box(page, ".lab-instructions")["x"] + 300

    # A phone: everything stacks, the page scrolls as one, the terminal says it is narrow.
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme="dark")
    notice = page.locator("#terminal-narrow")
    notice.wait_for()
    violations = run_axe(page)
    report.keep(page, "workspace-live", "phone", violations, page_width(page))
    assert blocking(violations) == []
    assert page_width(page) <= PHONE["width"]
    instructions, terminal = box(page, ".lab-instructions"), box(page, ".lab-terminal")
    assert instructions["y"] + instructions["height"] <= terminal["y"] + 1
    own_scroll = page.evaluate(OWN_SCROLL, ".lab-instructions")
    assert not own_scroll, "the instructions scroll in a box of their own on a phone"
    columns = int(page.locator(".sandbox-terminal").get_attribute("data-cols") or 0)
    assert 0 < columns < 80
    assert str(columns) in notice.inner_text()

    # The full-screen terminal takes the whole screen, and gives it back.
    toggle = page.locator("#terminal-full")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    page.wait_for_function(
        "document.querySelector('.lab-terminal').getBoundingClientRect().height >= 800"
    )
    report.keep(page, "workspace-full", "phone", [], page_width(page))
    cover = box(page, ".lab-terminal")
    assert (cover["width"], cover["height"]) == (PHONE["width"], PHONE["height"])
    assert box(page, ".lab-terminal .terminal-screen")["width"] >= PHONE["width"] - 40
    page.wait_for_function("Number(document.querySelector('.sandbox-terminal').dataset.rows) > 30")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert box(page, ".lab-terminal")["height"] < 800

    # The evidence page of the same session.
    page.set_viewport_size(DESKTOP)
    page.goto(lab_server.url + f"/labs/sessions/{session.id}")
    violations = run_axe(page)
    report.keep(page, "lab-session-live", "desktop", violations, page_width(page))
    assert blocking(violations) == []
