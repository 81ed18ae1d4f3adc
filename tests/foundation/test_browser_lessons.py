"""A trainee logs in, opens Day 1, marks a lesson complete and sees the progress move."""

from __future__ import annotations

import pytest

from app.auth.models import Role

pytestmark = pytest.mark.browser


def test_trainee_completes_a_lesson_in_the_browser(live_server, page):
    password = "a browser password 1"
    live_server.create_user(
        Role.TRAINEE, "browser.trainee@example.test", "Browser Trainee", password
    )
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "browser.trainee@example.test")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/plan")
    day_one = page.locator('li.day-card[data-day="day-01"]')
    assert "0 / " in day_one.locator(".day-progress").inner_text()
    day_one.locator("a").click()
    page.wait_for_url("**/days/day-01")
    page.locator("ol.lessons li a").first.click()
    page.click("#mark-complete")
    page.goto(live_server.url + "/plan")
    progress = page.locator('li.day-card[data-day="day-01"] .day-progress').inner_text()
    assert progress.startswith("1 / "), progress
    page.goto(live_server.url + "/days/day-01")
    assert "✓ complete" in page.locator("ol.lessons li").first.inner_text()
