"""The ten-day plan, lesson pages, completion and reading time."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role
from app.content import get_catalog
from app.learning.models import LessonProgress
from tests.conftest import csrf_token


def test_plan_lists_ten_days_with_progress(client, make_user, login_as):
    login_as(make_user(Role.TRAINEE))
    page = client.get("/plan").get_data(as_text=True)
    assert page.count('class="day-card') == 10
    assert "Day 1" in page
    assert "Day 10" in page


def test_lesson_page_renders_with_navigation(app, client, make_user, login_as):
    login_as(make_user(Role.TRAINEE))
    with app.app_context():
        catalog = get_catalog()
    second = catalog.days[0].lessons[1]
    page = client.get(f"/lessons/{second.id}").get_data(as_text=True)
    assert second.title in page
    assert catalog.days[0].lessons[0].title in page  # previous link
    assert "Mark complete" in page


def test_marking_complete_records_the_content_version_and_moves_progress(
    app, client, make_user, login_as, session
):
    trainee = make_user(Role.TRAINEE)
    login_as(trainee)
    with app.app_context():
        catalog = get_catalog()
    lesson = catalog.days[0].lessons[0]
    token = csrf_token(client, f"/lessons/{lesson.id}")
    response = client.post(f"/lessons/{lesson.id}/complete", data={"csrf_token": token})
    assert response.status_code == 302
    row = session.scalar(select(LessonProgress).where(LessonProgress.user_id == trainee.id))
    assert row.completed_at is not None
    assert row.content_version == catalog.version
    day_page = client.get(f"/days/{lesson.day_id}").get_data(as_text=True)
    assert "1 / " in day_page


def test_complete_without_csrf_is_refused(app, client, make_user, login_as, session):
    trainee = make_user(Role.TRAINEE)
    login_as(trainee)
    with app.app_context():
        lesson = get_catalog().days[0].lessons[0]
    assert client.post(f"/lessons/{lesson.id}/complete").status_code == 400
    row = session.scalar(select(LessonProgress).where(LessonProgress.user_id == trainee.id))
    assert row is None


def test_reading_time_is_bounded_per_heartbeat(app, client, make_user, login_as):
    login_as(make_user(Role.TRAINEE))
    with app.app_context():
        lesson = get_catalog().days[0].lessons[0]
    token = csrf_token(client, f"/lessons/{lesson.id}")
    headers = {"X-CSRFToken": token}
    first = client.post(f"/lessons/{lesson.id}/time", json={"seconds": 30}, headers=headers)
    assert first.get_json() == {"seconds_spent": 30}
    second = client.post(f"/lessons/{lesson.id}/time", json={"seconds": 99999}, headers=headers)
    assert second.get_json() == {"seconds_spent": 90}
    bad = client.post(f"/lessons/{lesson.id}/time", json={"seconds": "lots"}, headers=headers)
    assert bad.status_code == 400


def test_unknown_lesson_and_day_are_404(client, make_user, login_as):
    login_as(make_user(Role.TRAINEE))
    assert client.get("/lessons/no-such-lesson").status_code == 404
    assert client.get("/days/day-99").status_code == 404


def test_plan_page_query_count_is_bounded(client, make_user, login_as, count_queries):
    login_as(make_user(Role.TRAINEE))
    client.get("/plan")
    counter = count_queries()
    client.get("/plan")
    assert counter.count <= 12, counter.count


def test_error_pages_leak_nothing(client):
    page = client.get("/no/such/page")
    body = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Traceback" not in body
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
