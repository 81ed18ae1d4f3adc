"""When the engine is down or an image is missing, people are told why, and lessons still serve."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, url_for

from app.auth.models import Role, User
from app.auth.services import create_user
from app.content import get_catalog
from app.extensions import db
from app.sandboxes import services
from app.sandboxes.models import Sandbox, SandboxStatus
from app.sandboxes.pool import fulfil_requests
from app.sandboxes.runtime import SandboxUnavailable, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE
from tests.browser import build_app
from tests.conftest import PASSWORD, login

DEAD_ENGINE = "tcp://127.0.0.1:9"


@dataclass
class Broken:
    """An app whose Docker engine address answers nothing."""

    app: Flask
    trainee: User
    admin: User
    sandbox_id: str


@pytest.fixture(scope="module")
def broken(pg_server) -> Iterator[Broken]:
    """An app pointed at a dead engine, with a trainee who has requested a sandbox."""
    app = build_app(pg_server.create_database("academy_no_engine"), docker_url=DEAD_ENGINE)
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        trainee = create_user(f"t-{tag}@example.test", "Trainee", PASSWORD, Role.TRAINEE)
        admin = create_user(f"a-{tag}@example.test", "Admin", PASSWORD, Role.ADMIN)
        sandbox = services.request_sandbox(DEFAULT_PROFILE, trainee.id, "lab:test")
        db.session.commit()
        for user in (trainee, admin):
            db.session.refresh(user)
            db.session.expunge(user)
        found = Broken(app, trainee, admin, sandbox.id)
    yield found
    with app.app_context():
        db.engine.dispose()


def test_the_runtime_says_the_engine_is_unreachable_and_where(broken):
    with pytest.raises(SandboxUnavailable) as problem:
        get_runtime(broken.app)
    assert DEAD_ENGINE in problem.value.reason
    assert "unavailable" in problem.value.reason


def test_lessons_still_serve_and_sandbox_pages_say_why(broken):
    client = broken.app.test_client()
    login(client, broken.trainee)
    with broken.app.app_context():
        lesson = next(iter(get_catalog().lessons))
    assert client.get(f"/lessons/{lesson}").status_code == 200
    assert client.get("/plan").status_code == 200
    status = client.get(f"/sandboxes/{broken.sandbox_id}/status").get_json()
    assert status["ready"] is False
    assert DEAD_ENGINE in status["unavailable"]
    page = client.get(f"/sandboxes/{broken.sandbox_id}").get_data(as_text=True)
    assert "Labs are unavailable" in page
    assert DEAD_ENGINE in page
    if "labs.index" in broken.app.view_functions:
        with broken.app.test_request_context():
            labs = client.get(url_for("labs.index"))
        assert labs.status_code == 200
        assert "unavailable" in labs.get_data(as_text=True)


def test_a_request_waits_with_the_reason_instead_of_hanging(broken):
    with broken.app.app_context():
        fulfil_requests(broken.app)
        sandbox = db.session.get(Sandbox, broken.sandbox_id)
        assert sandbox is not None
        assert sandbox.status == SandboxStatus.REQUESTED.value
        assert DEAD_ENGINE in sandbox.progress
        assert sandbox.progress.startswith("Waiting")


def test_the_admin_page_shows_the_problem(broken):
    client = broken.app.test_client()
    login(client, broken.admin)
    page = client.get("/admin/sandboxes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Labs are unavailable" in body
    assert DEAD_ENGINE in body


@pytest.mark.docker
def test_a_missing_image_names_the_build_command(sandbox_app, runtime):
    assert runtime.missing_images(["no-such-lab-image", "impactlink-server"]) == [
        "no-such-lab-image"
    ]
    with pytest.raises(SandboxUnavailable) as problem:
        get_runtime(sandbox_app, images=["no-such-lab-image"])
    assert "no-such-lab-image" in problem.value.reason
    assert "academy images build" in problem.value.reason
