"""The pages trainees, coordinators and admins use every day, in Chromium: axe-core finds no
serious or critical violation (in the light theme at 1280 px and the dark one at 390 px), and no
page is wider than a 390 px phone screen; the menu folds on a phone and works without JavaScript.

Set ACADEMY_PAGE_REPORT to a folder to keep what was seen: `axe.jsonl` (the violations of every
page, all impacts) and a screenshot of each page at both widths.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from app.auth.models import Role, User
from tests.browser import BLOCKING, DESKTOP, PHONE, Report, page_width, run_axe

pytestmark = pytest.mark.browser

PASSWORD = "a page checking password 1"


@dataclass
class World:
    """The people the pages are seen as, and the ids in the pages' addresses."""

    trainee: User
    coordinator: User
    admin: User
    cohort_id: int
    lesson_id: str
    lab_slug: str
    reviewed_attempt_id: int
    open_attempt_id: int
    lab_session_id: int


def build_world(server: Any) -> World:
    """Give the pages something to show: a cohort, progress, quiz attempts, work to approve and
    a lab session (which stays at "preparing": no supervisor runs beside the live server)."""
    from app.auth.models import User as UserRow
    from app.certification.models import AttestationKind
    from app.certification.services import record_attestation
    from app.content import get_catalog
    from app.coordination.services import add_member, create_cohort
    from app.extensions import db
    from app.labs.services import start_session
    from app.learning.services import mark_complete, record_open
    from app.quizzes import services as quizzes

    tag = uuid.uuid4().hex[:8]
    trainee = server.create_user(Role.TRAINEE, f"t-{tag}@example.test", "Thandi Pages", PASSWORD)
    coordinator = server.create_user(
        Role.COORDINATOR, f"c-{tag}@example.test", "Cora Pages", PASSWORD
    )
    admin = server.create_user(Role.ADMIN, f"a-{tag}@example.test", "Ada Pages", PASSWORD)

    def build() -> World:
        catalog = get_catalog()
        day = catalog.days[0]
        cohort = create_cohort(f"Pages {tag}", date.today() - timedelta(days=4), [coordinator.id])
        add_member(cohort.id, trainee.id)
        for lesson in day.lessons[:2]:
            record_open(trainee.id, catalog, lesson.id)
            mark_complete(trainee.id, catalog, lesson.id)
        section = catalog.sections["quizzes"]
        reviewed = quizzes.start_attempt(trainee.id, section.for_day(day.id), catalog)
        quizzes.submit(reviewed, {}, catalog)
        still_open = quizzes.start_attempt(trainee.id, section.for_day(catalog.days[1].id), catalog)
        record_attestation(
            db.session.get(UserRow, trainee.id),
            AttestationKind.SHADOW_SHIFT,
            date.today() - timedelta(days=1),
            "Sipho on call",
            "Shadowed the night shift and handled the disk alert together.",
        )
        lab = next(iter(catalog.sections["labs"].values()))  # the first day's
        lab_session = start_session(trainee.id, lab, catalog.version)
        # A certificate issued months ago, so the drills pages have drills due, done and missed.
        from app.certification.certificates import add_months, new_code
        from app.certification.models import Certificate
        from app.clock import utcnow

        issued = utcnow() - timedelta(days=100)
        db.session.add(
            Certificate(
                code=new_code(),
                user_id=trainee.id,
                cycle=1,
                recipient_name=trainee.full_name,
                programme_id=catalog.programme.id,
                programme_title=catalog.programme.title,
                content_version=catalog.version,
                issued_at=issued,
                expires_at=add_months(issued, 12),
                signed_off_by=coordinator.full_name,
                badge_salt="pages",
                evidence={},
                revocation_reason="",
            )
        )
        return World(
            trainee,
            coordinator,
            admin,
            cohort.id,
            day.lessons[0].id,
            lab.id,
            reviewed.id,
            still_open.id,
            lab_session.id,
        )

    return server.run(build)


# (name, who looks, address): the address is formatted with the World's fields.
PAGES = [
    ("login", None, "/login"),
    ("verify", None, "/verify"),
    ("plan", "trainee", "/plan"),
    ("day", "trainee", "/days/day-01"),
    ("lesson", "trainee", "/lessons/{lesson_id}"),
    ("day-quiz", "trainee", "/days/day-01/quiz"),
    ("quiz-attempt", "trainee", "/quizzes/attempts/{open_attempt_id}"),
    ("quiz-review", "trainee", "/quizzes/attempts/{reviewed_attempt_id}/review"),
    ("assessment", "trainee", "/assessment"),
    ("labs", "trainee", "/labs"),
    ("lab-detail", "trainee", "/labs/{lab_slug}"),
    ("lab-workspace", "trainee", "/labs/sessions/{lab_session_id}/work"),
    ("lab-session", "trainee", "/labs/sessions/{lab_session_id}"),
    ("signoff", "trainee", "/signoff"),
    ("my-drills", "trainee", "/drills"),
    ("team", "coordinator", "/team"),
    ("matrix", "coordinator", "/team/cohorts/{cohort_id}"),
    ("trainee-evidence", "coordinator", "/team/trainees/{trainee_id}"),
    ("approvals", "coordinator", "/team/approvals"),
    ("team-drills", "coordinator", "/team/drills"),
    ("quiz-statistics", "coordinator", "/quizzes/statistics"),
    ("users", "admin", "/admin/users"),
    ("invite", "admin", "/invitations"),
    ("sandboxes-admin", "admin", "/admin/sandboxes"),
    ("certificates-admin", "admin", "/admin/certificates"),
]


def address(world: World, template: str) -> str:
    """Fill a page's address from the world."""
    return template.format(trainee_id=world.trainee.id, **vars(world))


def log_in(context: Any, base: str, email: str) -> None:
    """Log a browser context in through the real form."""
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not log in"
    page.close()


@pytest.fixture(scope="module")
def world(live_server: Any) -> World:
    """The module's people and records on the shared live server."""
    return build_world(live_server)


@pytest.fixture(scope="module")
def contexts(chromium: Any, live_server: Any, world: World) -> Iterator[dict[Any, Any]]:
    """One logged-in browser context per role (and one anonymous), per width and theme."""
    made: dict[Any, Any] = {}
    for view, viewport, scheme in (("desktop", DESKTOP, "light"), ("phone", PHONE, "dark")):
        for who in (None, "trainee", "coordinator", "admin"):
            context = chromium.browser.new_context(viewport=viewport, color_scheme=scheme)
            context.set_default_timeout(15_000)
            if who is not None:
                log_in(context, live_server.url, getattr(world, who).email)
            made[who, view] = context
    yield made
    for context in made.values():
        context.close()


@pytest.fixture(scope="module")
def report() -> Report:
    """Where findings are kept, if anywhere."""
    return Report()


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible_and_fits_a_phone(
    name: str, who: str | None, path: str, world: World, contexts: Any, live_server: Any, report
) -> None:
    problems = []
    for view in ("desktop", "phone"):
        page = contexts[who, view].new_page()
        try:
            response = page.goto(live_server.url + address(world, path))
            assert response is not None
            assert response.status == 200, f"{name}: {response.status} at {page.url}"
            page.wait_for_load_state("load")
            violations = run_axe(page)
            width = page_width(page)
            report.keep(page, name, view, violations, width)
        finally:
            page.close()
        problems += [
            f"{view}: {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:3]}"
            for v in violations
            if v["impact"] in BLOCKING
        ]
        if view == "phone" and width > PHONE["width"]:
            problems.append(f"phone: the page lays out {width} px wide in a 390 px screen")
    assert problems == [], f"{name}:\n" + "\n".join(problems)


def test_the_menu_folds_behind_a_button_on_a_phone(live_server, world: World, page) -> None:
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    log_in(page.context, live_server.url, world.trainee.email)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/plan")
    button = page.locator(".menu-toggle")
    plan = page.locator("#site-menu nav a", has_text="Plan")
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "site-menu"
    assert plan.is_hidden()

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert plan.is_visible()
    assert plan.get_attribute("aria-current") == "page"
    assert page_width(page) <= PHONE["width"]
    violations = [v["id"] for v in run_axe(page) if v["impact"] in BLOCKING]
    assert violations == []
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")

    # The first Tab reaches the skip link, which moves the focus to the content.
    page.goto(live_server.url + "/days/day-01")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    button.click()
    assert page.locator("#site-menu nav a", has_text="Plan").get_attribute("aria-current") == "true"

    # On a laptop the menu is simply there.
    page.set_viewport_size(DESKTOP)
    assert button.is_hidden()
    assert page.locator("#site-menu nav a", has_text="Labs").is_visible()
    assert [text for text in blocked if "Content Security Policy" in text] == []


def test_without_javascript_the_menu_is_a_list_and_tables_still_fit(
    chromium, live_server, world: World
) -> None:
    context = chromium.browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        log_in(context, live_server.url, world.admin.email)
        page = context.new_page()
        for path in ("/admin/users", "/labs"):
            page.goto(live_server.url + path)
            assert page.locator(".menu-toggle").is_hidden()
            assert page.locator("#site-menu nav a", has_text="Labs").is_visible()
            assert page_width(page) <= PHONE["width"], path
    finally:
        context.close()
