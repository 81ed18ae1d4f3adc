"""Self-service password reset by e-mail, password change, and each reader's time zone."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.auth import services
from app.auth.models import PasswordReset, Role, User
from app.extensions import db
from app.formatting import when_text
from app.notifications.models import OutboxMessage
from tests.browser import build_app
from tests.conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "a brand new passphrase 42"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def accounts_app(pg_server) -> Iterator[Flask]:
    """An app on its own database: each test client is a separate browser, every request its
    own transaction (no test-wide application context shared between browsers)."""
    application = build_app(pg_server.create_database("academy_accounts"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(accounts_app: Flask) -> Flask:
    return accounts_app


@pytest.fixture
def client(accounts_app: Flask) -> FlaskClient:
    return accounts_app.test_client()


@pytest.fixture
def make_user(accounts_app: Flask) -> Callable[[], User]:
    def build() -> User:
        with accounts_app.app_context():
            n = next(_numbers)
            user = services.create_user(
                f"reader{n}@accounts.test", f"Reader {n}", PASSWORD, Role.TRAINEE
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return build


def _ask_reset(client: FlaskClient, email: str) -> str:
    token = csrf_token(client, "/password/forgot")
    page = client.post("/password/forgot", data={"email": email, "csrf_token": token})
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _mails_to(app: Flask, email: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.body)
                .where(OutboxMessage.recipient == email)
                .order_by(OutboxMessage.id)
            )
        )


def _link_in(body: str) -> str:
    found = re.search(r"http\S*(/password/reset/[A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _move_expiry(app: Flask, user: User, minutes: int) -> None:
    with app.app_context():
        db.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id)
            .values(expires_at=datetime.now(UTC) + timedelta(minutes=minutes))
        )
        db.session.commit()


def _set_new(client: FlaskClient, path: str, password: str = NEW_PASSWORD) -> int:
    token = csrf_token(client, path)
    return client.post(
        path, data={"password": password, "confirm": password, "csrf_token": token}
    ).status_code


def test_the_reset_page_answers_the_same_for_known_and_unknown_addresses(app, client, make_user):
    user = make_user()
    known = _ask_reset(client, user.email)
    unknown = _ask_reset(client, "nobody-here@example.test")
    strip = re.compile(r'name="csrf[-_]token"[^>]*>')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert "If an active account uses that address" in known
    assert len(_mails_to(app, user.email)) == 1
    assert _mails_to(app, "nobody-here@example.test") == []


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app: Flask, make_user):
    user = make_user()
    other_browser = app.test_client()
    login(other_browser, user)
    assert other_browser.get("/account").status_code == 200
    client = app.test_client()
    _ask_reset(client, user.email)
    path = _link_in(_mails_to(app, user.email)[0])
    with app.app_context():  # only the token's hash is stored
        stored = set(db.session.scalars(select(PasswordReset.token_hash)))
    assert stored
    assert path.split("/")[-1] not in stored

    assert _set_new(client, path) == 302
    # The old password no longer works, the new one does; the other browser is logged out.
    assert other_browser.get("/account").status_code == 302
    refused = app.test_client()
    token = csrf_token(refused)
    page = refused.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert "Invalid e-mail address or password" in page.get_data(as_text=True)
    login(app.test_client(), user, NEW_PASSWORD)
    # The same link cannot be used a second time.
    again = client.get(path)
    assert again.status_code == 404
    assert "already been used" in again.get_data(as_text=True)


def test_expired_unknown_and_superseded_links_are_refused(app: Flask, make_user):
    user = make_user()
    client = app.test_client()
    _ask_reset(client, user.email)
    _ask_reset(client, user.email)
    first, second = (_link_in(m) for m in _mails_to(app, user.email))
    _move_expiry(app, user, -1)
    expired = client.get(first)
    assert expired.status_code == 404
    assert "expired" in expired.get_data(as_text=True)
    assert client.get("/password/reset/not-a-real-token").status_code == 404
    # A password change by any route spends every open link.
    _move_expiry(app, user, 30)
    with app.app_context():
        services.set_password(db.session.get(User, user.id), "changed by the admin 99")
        db.session.commit()
    assert client.get(second).status_code == 404


def test_reset_requests_are_limited_per_account(app, client, make_user):
    user = make_user()
    for _ in range(services.RESET_LINKS_PER_HOUR + 2):
        _ask_reset(client, user.email)
    assert len(_mails_to(app, user.email)) == services.RESET_LINKS_PER_HOUR


def test_a_weak_new_password_is_refused_with_the_reason(app: Flask, make_user):
    user = make_user()
    client = app.test_client()
    _ask_reset(client, user.email)
    path = _link_in(_mails_to(app, user.email)[0])
    token = csrf_token(client, path)
    page = client.post(path, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert page.status_code == 200
    assert "at least" in page.get_data(as_text=True).lower()
    login(app.test_client(), user)  # unchanged


def test_forms_without_csrf_are_refused(app, client, make_user):
    user = make_user()
    assert client.post("/password/forgot", data={"email": user.email}).status_code == 400
    assert _mails_to(app, user.email) == []


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app: Flask, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    token = csrf_token(here, "/account")
    wrong = here.post(
        "/account",
        data={
            "action": "password",
            "pw-current": "not my password",
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "csrf_token": token,
            "pw-csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    assert "current password is not correct" in wrong.get_data(as_text=True)
    changed = here.post(
        "/account",
        data={
            "action": "password",
            "pw-current": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "pw-csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert here.get("/account").status_code == 200  # this browser stays in
    assert elsewhere.get("/account").status_code == 302  # the other one is logged out
    login(app.test_client(), user, NEW_PASSWORD)


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_times_are_shown_in_the_chosen_zone_else_the_browsers_else_utc(app: Flask, make_user):
    user = make_user()
    moment = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        assert when_text(moment) == "2026-12-04 17:05 UTC"
        assert when_text(None) == "—"
    with app.test_request_context("/", headers={"Cookie": "tz=America/New_York"}):
        assert when_text(moment) == "2026-12-04 12:05 EST"
        assert when_text(moment, "date") == "2026-12-04"
    with app.test_request_context("/", headers={"Cookie": "tz=../../etc/passwd"}):
        assert when_text(moment) == "2026-12-04 17:05 UTC"

    client = app.test_client()
    login(client, user)
    token = csrf_token(client, "/account")
    bad = client.post(
        "/account",
        data={"action": "time_zone", "tz-time_zone": "Mars/Olympus", "tz-csrf_token": token},
    )
    assert bad.status_code == 400
    assert "not a time zone name" in bad.get_data(as_text=True)
    saved = client.post(
        "/account",
        data={"action": "time_zone", "tz-time_zone": "Africa/Johannesburg", "tz-csrf_token": token},
    )
    assert saved.status_code == 302
    client.set_cookie("tz", "America/New_York")
    page = client.get("/account").get_data(as_text=True)
    assert "Africa/Johannesburg" in page
    assert "SAST" in page  # the account's choice wins over the browser's
