"""Shared fixtures: a real PostgreSQL server, the app, isolated transactions, factories."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.auth.models import Role, User
from app.auth.services import create_user
from app.config import ROOT, Settings
from app.extensions import db
from tests import postgres

PASSWORD = "correct horse battery staple"


def settings_for(database_url: str, instance: Path, **changes: Any) -> Settings:
    """Return test settings pointing at a database."""
    base = Settings.from_env({"ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": str(instance)})
    return base.replace(database_url=database_url, **changes)


def migrate_to_head(app: Flask) -> None:
    """Apply every migration, as `academy db upgrade` does."""
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    """Start one throwaway PostgreSQL server for the whole run."""
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(
    pg_server: postgres.PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The application on a migrated PostgreSQL database."""
    url = pg_server.create_database("academy_test")
    application = create_app(settings_for(url, tmp_path_factory.mktemp("instance")))
    migrate_to_head(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """Run the test inside a transaction that is rolled back afterwards."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick the engine per table and
        # so escape the test's transaction.
        from flask_sqlalchemy.session import _app_ctx_id
        from sqlalchemy.orm import scoped_session, sessionmaker

        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        db.session = scoped_session(factory, scopefunc=_app_ctx_id)  # type: ignore[method-assign]
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original  # type: ignore[method-assign]
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, session: Any) -> FlaskClient:
    """A test client whose requests share the test's transaction."""
    return app.test_client()


@pytest.fixture
def make_user(session: Any) -> Callable[..., User]:
    """Build users: make_user(role=Role.TRAINEE, email=None, name=None)."""
    counter = iter(range(1, 10_000))

    def build(role: Role = Role.TRAINEE, email: str | None = None, name: str | None = None) -> User:
        n = next(counter)
        user = create_user(
            email or f"{role.value}{n}@example.test",
            name or f"{role.value.title()} {n}",
            PASSWORD,
            role,
        )
        session.commit()
        return user

    return build


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and return the CSRF token it carries."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log a user in through the real login form."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log the client in as a user and return it."""

    def do(user: User) -> FlaskClient:
        login(client, user)
        return client

    return do


class QueryCounter:
    """Counts SQL statements sent while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


@pytest.fixture
def count_queries(app: Flask, session: Any) -> Callable[[], QueryCounter]:
    """Return a factory for a query counter attached to the engine for this test."""
    counters: list[QueryCounter] = []

    def start() -> QueryCounter:
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        counters.append(counter)
        return counter

    yield start  # type: ignore[misc]
    for counter in counters:
        event.remove(db.engine, "before_cursor_execute", counter)


def in_ci() -> bool:
    """Tell whether the suite runs in CI, where nothing may be skipped."""
    return bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def live_server(pg_server: postgres.PostgresServer) -> Iterator[Any]:
    """The platform served over HTTP on its own database (shared by browser tests)."""
    from tests.browser import build_app, start_live_server

    server = start_live_server(build_app(pg_server.create_database("academy_live")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the run."""
    from tests.browser import launch_browser

    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser page (own cookies) for one test."""
    from tests.browser import iterate_pages

    yield from iterate_pages(chromium)
