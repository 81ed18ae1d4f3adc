"""The plan's day cards count the day's labs (a day is complete only with them); the day page
names labs by title; a lesson's "Mark complete" stays on screen and confirms."""

from __future__ import annotations

import re

from app.auth.models import Role
from app.content import get_catalog
from tests.certification.conftest import pass_lab
from tests.conftest import csrf_token


def _card(page: str, day_id: str) -> str:
    found = re.search(rf'<li class="day-card[^"]*" data-day="{day_id}">.*?</li>', page, re.S)
    assert found, day_id
    return found.group(0)


def test_day_cards_count_the_days_labs(app, client, make_user, login_as, session):
    trainee = make_user(Role.TRAINEE)
    login_as(trainee)
    catalog = get_catalog()
    day_two = catalog.day("day-02")
    assert day_two.lab_slugs == ("deploy-staging",)
    items = len(day_two.lessons) + 1 + 1  # lessons, the quiz, the lab
    before = _card(client.get("/plan").get_data(as_text=True), "day-02")
    assert f"0 / {items} done" in before
    parts = re.sub(r"<[^>]+>", "", before).replace("&nbsp;", " ")
    assert f"lessons 0 / {len(day_two.lessons)} · quiz to do · lab 0 / 1" in parts

    pass_lab(trainee.id, "deploy-staging", catalog)
    session.commit()
    page = client.get("/plan").get_data(as_text=True)
    assert f"1 / {items} done" in _card(page, "day-02")
    assert "lab 1&nbsp;/&nbsp;1" in _card(page, "day-02")
    # Every day counts its lessons, its quiz and its own labs (as many as its day.yaml lists),
    # and shows the labs only when it has some.
    for day in catalog.days[:1] + catalog.days[2:]:
        quiz = 1 if "quiz to do" in _card(page, day.id) else 0
        assert f"0 / {len(day.lessons) + quiz + len(day.lab_slugs)} done" in _card(page, day.id)
        parts = _card(page, day.id).split("day-parts")[1]
        assert ("lab" in parts) == bool(day.lab_slugs)
        assert "done" not in _card(page, day.id).split(">")[0]  # the card is not complete


def test_the_day_page_names_its_labs_and_counts_them(app, client, make_user, login_as, session):
    trainee = make_user(Role.TRAINEE)
    login_as(trainee)
    catalog = get_catalog()
    pass_lab(trainee.id, "deploy-staging", catalog)
    session.commit()
    page = client.get("/days/day-02").get_data(as_text=True)
    assert (
        '<li data-lab="deploy-staging"><a href="/labs/deploy-staging">'
        'Deploy a release with a migration to staging</a> <span class="badge ok">passed</span>'
    ) in page
    assert ">deploy-staging</a>" not in page
    assert f"1 / {len(catalog.day('day-02').lessons) + 2} done" in page


def test_mark_complete_stays_on_screen_and_confirms(app, client, make_user, login_as, session):
    login_as(make_user(Role.TRAINEE))
    catalog = get_catalog()
    first, second = catalog.days[0].lessons[:2]
    page = client.get(f"/lessons/{first.id}").get_data(as_text=True)
    bar = re.search(
        r'<nav class="lesson-foot lesson-bar" aria-label="Lesson">.*?</nav>', page, re.S
    )
    assert bar
    assert 'id="mark-complete"' in bar.group(0)
    assert "learning.css" in page
    assert "bar at the bottom of the screen" in page  # the hint at the top of the lesson
    token = csrf_token(client, f"/lessons/{first.id}")
    response = client.post(f"/lessons/{first.id}/complete", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/lessons/{second.id}")
    following = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"“{first.title}” is marked complete." in following
    again = client.get(f"/lessons/{first.id}").get_data(as_text=True)
    assert 'id="completed-top"' in again
