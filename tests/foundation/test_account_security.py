"""Behind a proxy, under parallel guessing, and after a password change or deactivation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.auth import services
from app.auth.models import LoginAttempt, Role, User
from app.extensions import db
from app.web import HSTS
from tests.browser import build_app
from tests.conftest import PASSWORD, csrf_token, login, settings_for

# -- parallel guesses on a database whose transactions really commit --------------------------


@pytest.fixture(scope="module")
def race_app(pg_server) -> Iterator[Flask]:
    app = build_app(pg_server.create_database("academy_login_race"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _account(app: Flask, email: str) -> int:
    with app.app_context():
        user = services.create_user(email, "Parallel Guess", PASSWORD, Role.TRAINEE)
        db.session.commit()
        return user.id


def _guess_in_parallel(app: Flask, email: str, count: int) -> list[int]:
    """Send count wrong-password logins at the same moment, each from its own browser."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [csrf_token(client) for client in clients]
    barrier = threading.Barrier(count)

    def guess(n: int) -> int:
        barrier.wait()
        data = {"email": email, "password": f"wrong guess {n}", "csrf_token": tokens[n]}
        return clients[n].post("/login", data=data).status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(guess, range(count)))


def _state(app: Flask, user_id: int) -> tuple[int, bool]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.failed_logins, user.locked_until is not None


def test_parallel_guesses_are_each_counted(race_app):
    limit = race_app.config["ACADEMY"].login_max_failures
    user_id = _account(race_app, "counted@example.test")
    assert _guess_in_parallel(race_app, "counted@example.test", limit - 1) == [200] * (limit - 1)
    assert _state(race_app, user_id) == (limit - 1, False)


def test_exactly_the_limit_of_parallel_guesses_locks_the_account(race_app):
    limit = race_app.config["ACADEMY"].login_max_failures
    user_id = _account(race_app, "locked@example.test")
    assert _guess_in_parallel(race_app, "locked@example.test", limit) == [200] * limit
    assert _state(race_app, user_id) == (0, True)
    client = race_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": "locked@example.test", "password": PASSWORD, "csrf_token": token}
    )
    assert "locked" in response.get_data(as_text=True)


# -- a proxy in front ---------------------------------------------------------------------------


@pytest.fixture
def app_with(app: Flask, session: Any, tmp_path) -> Iterator[Any]:
    """Build another app on the test database with some settings changed."""
    made: list[Flask] = []

    def build(**changes: Any) -> Flask:
        other = create_app(settings_for(app.config["ACADEMY"].database_url, tmp_path, **changes))
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def _wrong_login(client, **headers: str) -> None:
    token = csrf_token(client)
    client.post(
        "/login",
        data={"email": "nobody@example.test", "password": "not it at all", "csrf_token": token},
        headers=headers,
    )


def _addresses(session) -> list[str]:
    return list(session.scalars(select(LoginAttempt.ip_address).order_by(LoginAttempt.id)))


def test_without_trusted_proxies_forwarded_addresses_are_ignored(client, session):
    _wrong_login(client, **{"X-Forwarded-For": "198.51.100.7"})
    assert _addresses(session) == ["127.0.0.1"]


def test_behind_a_trusted_proxy_each_client_keeps_its_own_address(app_with, session):
    proxied = app_with(trusted_proxies=1)
    client = proxied.test_client()
    # The proxy appends the address it saw; anything before it came from the client.
    _wrong_login(client, **{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})
    _wrong_login(client, **{"X-Forwarded-For": "198.51.100.8"})
    assert _addresses(session) == ["198.51.100.7", "198.51.100.8"]
    assert proxied.config["ACADEMY"].trusted_proxies == 1


def test_trusted_proxies_setting_is_read_and_defaults_to_none():
    from app.config import Settings

    assert Settings.from_env({"ACADEMY_ENV": "test"}).trusted_proxies == 0
    env = {"ACADEMY_ENV": "test", "ACADEMY_TRUSTED_PROXIES": "2"}
    assert Settings.from_env(env).trusted_proxies == 2


# -- HSTS ---------------------------------------------------------------------------------------


def test_hsts_only_over_https(client, app_with):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == HSTS
    # Behind a TLS proxy the scheme comes from X-Forwarded-Proto, believed only from the proxy.
    proxied = app_with(trusted_proxies=1).test_client()
    forwarded = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["Strict-Transport-Security"] == HSTS
    assert (
        "Strict-Transport-Security"
        not in client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    )
    https_site = app_with(base_url="https://academy.example.test").test_client()
    assert https_site.get("/login").headers["Strict-Transport-Security"] == HSTS


# -- sessions end with a password change or deactivation -----------------------------------------
# On the committed app: there every request has its own app context, as in production (the
# shared test transaction keeps one context, and with it Flask-Login's cached user).


def _logged_in(client) -> bool:
    """Tell whether the client's cookie still opens a session (whatever the page renders)."""
    response = client.get("/plan")
    return not (response.status_code == 302 and "/login" in response.headers["Location"])


def _user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def test_a_password_change_ends_every_session(race_app):
    trainee = _user(race_app, _account(race_app, "changes@example.test"))
    first, second = race_app.test_client(), race_app.test_client()
    login(first, trainee)
    login(second, trainee)
    assert _logged_in(first)
    with race_app.app_context():
        user = db.session.get(User, trainee.id)
        assert user is not None
        services.set_password(user, "a brand new passphrase")
        db.session.commit()
    assert not _logged_in(first)
    assert not _logged_in(second)
    login(first, trainee, "a brand new passphrase")
    assert _logged_in(first)


def test_deactivation_ends_the_session_and_reactivation_does_not_revive_it(race_app):
    trainee = _user(race_app, _account(race_app, "leaver@example.test"))
    with race_app.app_context():
        admin = services.create_user("boss@example.test", "The Admin", PASSWORD, Role.ADMIN)
        db.session.commit()
        admin = _user(race_app, admin.id)
    client = race_app.test_client()
    login(client, trainee)
    assert _logged_in(client)
    admin_client = race_app.test_client()
    login(admin_client, admin)
    token = csrf_token(admin_client, "/admin/users")
    toggle = f"/admin/users/{trainee.id}/active"
    assert admin_client.post(toggle, data={"csrf_token": token}).status_code == 302
    assert not _logged_in(client)
    assert admin_client.post(toggle, data={"csrf_token": token}).status_code == 302
    assert _user(race_app, trainee.id).active
    assert not _logged_in(client)  # the old cookie stays dead
    login(client, trainee)
    assert _logged_in(client)


def test_a_cookie_without_the_session_version_loads_nobody(race_app):
    trainee = _user(race_app, _account(race_app, "oldcookie@example.test"))
    client = race_app.test_client()
    login(client, trainee)
    with client.session_transaction() as cookie:
        assert cookie["_user_id"] == f"{trainee.id}:{trainee.session_version}"
        cookie["_user_id"] = str(trainee.id)  # as cookies were before versions existed
    assert not _logged_in(client)


def test_the_atomic_count_locks_on_sqlite_too(tmp_path):
    import flask_migrate

    from app.config import ROOT

    app = create_app(settings_for(f"sqlite:///{tmp_path / 'academy.sqlite3'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
    user_id = _account(app, "sqlite-guess@example.test")
    client = app.test_client()
    limit = app.config["ACADEMY"].login_max_failures
    for n in range(limit - 1):
        data = {"email": "sqlite-guess@example.test", "password": f"no {n}"}
        client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    assert _state(app, user_id) == (limit - 1, False)
    data = {"email": "sqlite-guess@example.test", "password": "last wrong one"}
    client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    assert _state(app, user_id) == (0, True)
    with app.app_context():
        db.engine.dispose()
