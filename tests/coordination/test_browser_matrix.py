"""In Chromium at 1280x900: the progress matrix's last column is reachable by scrolling its own
box, the trainee column stays in view (sticky) meanwhile, and the scroll cues follow."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from app.auth.models import Role
from app.content import get_catalog
from app.coordination.services import add_member, create_cohort
from app.learning.services import mark_complete

pytestmark = pytest.mark.browser

PASSWORD = "a matrix browser password 3"
# One unbreakable word makes the trainee column wide enough that the table must scroll.
LONG_NAME = "Nomvula Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh"


def test_the_matrix_scrolls_in_its_box_with_the_names_in_view(live_server, page):
    tag = uuid.uuid4().hex[:8]
    coordinator = live_server.create_user(
        Role.COORDINATOR, f"matrix-coord-{tag}@example.test", "Matrix Coordinator", PASSWORD
    )
    trainees = [
        live_server.create_user(Role.TRAINEE, f"matrix-{n}-{tag}@example.test", name, PASSWORD)
        for n, name in enumerate([LONG_NAME, "Sipho Dlamini", "Ana Pereira"])
    ]

    def team() -> int:
        cohort = create_cohort(
            f"Matrix cohort {tag}", date.today() - timedelta(days=6), [coordinator.id]
        )
        for trainee in trainees:
            add_member(cohort.id, trainee.id)
        catalog = get_catalog()
        for lesson in catalog.days[0].lessons:
            mark_complete(trainees[1].id, catalog, lesson.id)
        return cohort.id

    cohort_id = live_server.run(team)
    assert page.viewport_size == {"width": 1280, "height": 900}
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", coordinator.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/team")
    page.goto(f"{live_server.url}/team/cohorts/{cohort_id}")

    # The page itself never scrolls sideways; the matrix's box does.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.locator("#matrix-wrap")
    box.scroll_into_view_if_needed()
    sizes = box.evaluate("b => ({scroll: b.scrollWidth, client: b.clientWidth})")
    assert sizes["scroll"] > sizes["client"], sizes
    scroller = page.locator(".matrix-scroller")
    assert "more-right" in scroller.get_attribute("class")
    assert page.locator("#matrix-hint").is_visible()
    box.focus()
    assert page.evaluate("document.activeElement.id") == "matrix-wrap"  # keys can scroll it

    name = page.locator(f'#matrix tbody tr[data-trainee="{trainees[1].id}"] th.name')
    before = name.bounding_box()
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    page.wait_for_function(
        "() => document.querySelector('.matrix-scroller').classList.contains('more-left')"
    )
    frame = box.bounding_box()
    last = page.locator("#matrix thead th.last").bounding_box()
    assert last["x"] >= frame["x"] - 1
    assert last["x"] + last["width"] <= frame["x"] + frame["width"] + 1, (last, frame)
    assert "more-right" not in scroller.get_attribute("class")

    # The trainee column did not move, and nothing scrolled over it.
    after = name.bounding_box()
    assert abs(after["x"] - before["x"]) < 1
    assert abs(after["x"] - frame["x"]) <= 2
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('th.name') !== null",
        [after["x"] + after["width"] / 2, after["y"] + after["height"] / 2],
    )
    assert on_top
    assert name.inner_text() == "Sipho Dlamini"

    # The progress chart is drawn (the SVG has a size) with its table beside it.
    chart = page.locator("#chart-days svg").bounding_box()
    assert chart["width"] > 300
    assert chart["height"] > 100
    assert page.locator("#chart-days-table").count() == 1
