"""What every page shares: the favicon, the skip link, the menu and which entry is current."""

from __future__ import annotations

import re

from app.auth.models import Role
from app.web import nav_current


def test_favicon_is_served_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon.svg" type="image/svg\+xml">', page)


def test_the_current_page_and_its_section_are_marked(client, make_user, login_as):
    login_as(make_user(Role.TRAINEE))
    page = client.get("/plan").get_data(as_text=True)
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert 'aria-controls="site-menu"' in page
    assert '<nav aria-label="Main">' in page
    assert re.search(r'href="/plan" class="active" aria-current="page">Plan<', page)
    assert re.search(r'href="/labs">Labs<', page)
    day = client.get("/days/day-01").get_data(as_text=True)
    assert re.search(r'href="/plan" class="active" aria-current="true">Plan<', day)


def test_nav_current():
    assert nav_current("labs.index", ("labs.",), "labs.index") == "page"
    assert nav_current("labs.index", ("labs.",), "labs.workspace") == "true"
    assert nav_current("learning.plan", ("quizzes.day_quiz",), "quizzes.day_quiz") == "true"
    assert nav_current("learning.plan", ("quizzes.day_quiz",), "quizzes.day_quizzes") is None
    assert nav_current("labs.index", ("labs.",), None) is None
