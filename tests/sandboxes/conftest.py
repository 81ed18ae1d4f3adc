"""Sandbox fixtures: the real Docker engine, an app of its own, users, a live server, sockets.

Tests that need the engine are marked `docker`; a missing engine or image is an error (never a
skip), with the command that fixes it. Sandboxes are expensive, so one ready sandbox is shared
by every test that does not change it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from simple_websocket import Client
from sqlalchemy import delete

from app.auth.models import Role, User
from app.auth.services import create_user
from app.clock import utcnow
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from app.sandboxes.models import Sandbox, SandboxStatus, TerminalRecording
from app.sandboxes.runtime import DockerRuntime, HostSpec, Limits, SandboxUnavailable, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE
from tests import postgres
from tests.browser import LiveServer, build_app, start_live_server
from tests.conftest import PASSWORD

IMAGE = "impactlink-server"
PROD = [HostSpec("prod", IMAGE, "prod")]
USER_AGENT = "academy-tests/1.0"
DOMAIN = "impactlink.solovedhelpinghands.org.za"


def require_engine(app: Flask) -> DockerRuntime:
    """Return the app's runtime, or fail saying how to get the engine and image."""
    try:
        return get_runtime(app, images=[IMAGE])
    except SandboxUnavailable as problem:
        raise RuntimeError(
            f"sandbox tests need the Docker engine and the {IMAGE} image: {problem.reason} "
            "(`make system` starts the engine and builds the images)"
        ) from None


def wait_until(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll condition until it returns something true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class People:
    """Accounts in the sandbox app's database."""

    owner: User
    other_trainee: User
    coordinator: User
    other_coordinator: User
    admin: User


@pytest.fixture(scope="session")
def sandbox_app(pg_server: postgres.PostgresServer) -> Iterator[Flask]:
    """An app on its own committed database (live servers and jobs see what tests write)."""
    app = build_app(pg_server.create_database("academy_sandboxes"), sandbox_pool_size=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def runtime(sandbox_app: Flask) -> DockerRuntime:
    """The real Docker runtime."""
    return require_engine(sandbox_app)


@pytest.fixture(scope="session")
def people(sandbox_app: Flask) -> People:
    """An owner in a cohort, that cohort's coordinator, and people who must be refused."""
    tag = uuid.uuid4().hex[:6]
    with sandbox_app.app_context():

        def user(role: Role, name: str) -> User:
            return create_user(f"{name}-{tag}@example.test", name.title(), PASSWORD, role)

        found = People(
            owner=user(Role.TRAINEE, "owner"),
            other_trainee=user(Role.TRAINEE, "other"),
            coordinator=user(Role.COORDINATOR, "coordinator"),
            other_coordinator=user(Role.COORDINATOR, "stranger"),
            admin=user(Role.ADMIN, "admin"),
        )
        today = date.today() - timedelta(days=1)
        mine = create_cohort(f"Sandbox cohort {tag}", today, [found.coordinator.id])
        theirs = create_cohort(f"Other cohort {tag}", today, [found.other_coordinator.id])
        add_member(mine.id, found.owner.id)
        add_member(theirs.id, found.other_trainee.id)
        db.session.commit()
        for person in vars(found).values():
            db.session.refresh(person)
            db.session.expunge(person)
        return found


def insert_ready_row(app: Flask, sandbox_id: str, owner_id: int | None, **values: Any) -> None:
    """Record a running sandbox as ready for owner_id."""
    now = utcnow()
    with app.app_context():
        db.session.add(
            Sandbox(
                id=sandbox_id,
                profile=values.pop("profile", DEFAULT_PROFILE),
                status=values.pop("status", SandboxStatus.READY.value),
                owner_id=owner_id,
                purpose=values.pop("purpose", "test"),
                progress="Ready",
                progress_percent=100,
                ready_at=now,
                claimed_at=now,
                last_activity_at=now,
                expires_at=now + timedelta(hours=1),
                **values,
            )
        )
        db.session.commit()


@pytest.fixture(scope="session")
def shared_sandbox(sandbox_app: Flask, runtime: DockerRuntime, people: People) -> Iterator[str]:
    """One ready sandbox, owned by people.owner, for every test that does not change it."""
    sandbox_id = uuid.uuid4().hex
    settings = sandbox_app.config["ACADEMY"]
    runtime.create(sandbox_id, PROD, Limits.from_settings(settings), allow_outbound=False)
    try:
        assert runtime.wait_ready(sandbox_id, 90), "the shared sandbox never became ready"
        insert_ready_row(sandbox_app, sandbox_id, people.owner.id)
        yield sandbox_id
    finally:
        runtime.destroy(sandbox_id)
        with sandbox_app.app_context():
            db.session.execute(
                delete(TerminalRecording).where(TerminalRecording.sandbox_id == sandbox_id)
            )
            db.session.execute(delete(Sandbox).where(Sandbox.id == sandbox_id))
            db.session.commit()


@pytest.fixture(scope="session")
def sandbox_server(sandbox_app: Flask) -> Iterator[LiveServer]:
    """The sandbox app served over HTTP (WebSockets need a real server)."""
    server = start_live_server(sandbox_app)
    yield server
    server.stop()


class Browserless:
    """A logged-in HTTP session against the live server, able to open terminal sockets."""

    def __init__(self, server: LiveServer, user: User | None) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        if user is not None:
            page = self.http.get(f"{server.url}/login", timeout=10).text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
            assert token, "no CSRF token on the login page"
            done = self.http.post(
                f"{server.url}/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)},
                allow_redirects=False,
                timeout=10,
            )
            assert done.status_code == 302, done.text[:300]

    def socket(self, path: str, origin: str | None = None) -> Client:
        """Open a WebSocket to path with this session's cookies."""
        headers = {"User-Agent": USER_AGENT}
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        if cookies:
            headers["Cookie"] = cookies
        if origin:
            headers["Origin"] = origin
        return Client.connect(self.server.url.replace("http://", "ws://") + path, headers=headers)


@pytest.fixture
def visitor(sandbox_server: LiveServer) -> Callable[[User | None], Browserless]:
    """Return a logged-in (or anonymous) client of the live sandbox server."""

    def make(user: User | None) -> Browserless:
        return Browserless(sandbox_server, user)

    return make


def read_until(ws: Client, needle: str, timeout: float = 15) -> str:
    """Collect terminal output from ws until it contains needle."""
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never arrived; got {seen[-500:]!r}")
        message = ws.receive(timeout=remaining)
        if isinstance(message, bytes):
            seen += message.decode("utf-8", "replace")
    return seen


def notices(ws: Client, timeout: float = 2) -> list[dict[str, Any]]:
    """Collect the JSON notices that arrive within timeout seconds."""
    found = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        message = ws.receive(timeout=remaining)
        if isinstance(message, str):
            found.append(json.loads(message))
    return found


def recording_file(app: Flask, recording: TerminalRecording) -> Path:
    """Return the file of a recording."""
    return app.config["ACADEMY"].instance_dir / recording.path
