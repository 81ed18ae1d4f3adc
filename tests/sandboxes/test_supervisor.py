"""The supervisor keeps a warm pool, fulfils requests, reaps, and reconciles with the engine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import docker
import pytest
from flask import Flask
from sqlalchemy import func, select

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import utcnow
from app.extensions import db
from app.sandboxes import pool, services
from app.sandboxes.models import LIVE, Sandbox, SandboxStatus
from app.sandboxes.reaper import reconcile
from app.sandboxes.runtime import LABEL, SCOPE_LABEL, DockerRuntime, container_name, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE
from app.sandboxes.supervisor import Supervisor
from tests.browser import build_app
from tests.conftest import PASSWORD
from tests.sandboxes.conftest import IMAGE, require_engine, wait_until

pytestmark = pytest.mark.docker


@dataclass
class Supervised:
    """An app with its own database and a running supervisor."""

    app: Flask
    supervisor: Supervisor
    runtime: DockerRuntime
    owner_id: int

    def row(self, sandbox_id: str) -> Sandbox:
        with self.app.app_context():
            found = db.session.get(Sandbox, sandbox_id)
            assert found is not None
            db.session.expunge(found)
            return found

    def count(self, status: SandboxStatus, owned: bool | None = None) -> int:
        with self.app.app_context():
            query = select(func.count()).where(Sandbox.status == status.value)
            if owned is not None:
                query = query.where(
                    Sandbox.owner_id.isnot(None) if owned else Sandbox.owner_id.is_(None)
                )
            return int(db.session.scalar(query) or 0)

    def pool_size(self, size: int) -> None:
        self.app.config["ACADEMY"] = self.app.config["ACADEMY"].replace(sandbox_pool_size=size)
        self.supervisor.wake()

    def request(self) -> Sandbox:
        with self.app.app_context():
            sandbox = services.request_sandbox(DEFAULT_PROFILE, self.owner_id, "test")
            db.session.commit()
            db.session.refresh(sandbox)
            db.session.expunge(sandbox)
        self.supervisor.wake()
        return sandbox

    def update(self, sandbox_id: str, **values: object) -> None:
        with self.app.app_context():
            sandbox = db.session.get(Sandbox, sandbox_id)
            assert sandbox is not None
            for key, value in values.items():
                setattr(sandbox, key, value)
            db.session.commit()
        self.supervisor.wake()


@pytest.fixture(scope="module")
def supervised(pg_server) -> Iterator[Supervised]:
    """A supervisor over its own database (its own scope on the engine), empty pool to start."""
    app = build_app(pg_server.create_database("academy_supervised"), sandbox_pool_size=0)
    runtime = require_engine(app)
    with app.app_context():
        owner = create_user(
            f"owner-{uuid.uuid4().hex[:6]}@example.test", "Owner", PASSWORD, Role.TRAINEE
        )
        db.session.commit()
        owner_id = owner.id
    # Only the default profile is kept warm here, whatever the labs would add.
    patch = pytest.MonkeyPatch()
    patch.setattr(pool, "PROFILE_SOURCES", [])
    supervisor = Supervisor(app, tick=0.25)
    supervisor.start()
    found = Supervised(app, supervisor, runtime, owner_id)
    try:
        yield found
    finally:
        patch.undo()
        found.pool_size(0)
        with app.app_context():
            for sandbox_id in db.session.scalars(
                select(Sandbox.id).where(Sandbox.status.in_([s.value for s in LIVE]))
            ):
                services.release(sandbox_id)
            db.session.commit()
        found.supervisor.wake()
        wait_until(lambda: not runtime.host_states(), 60, "every sandbox to be destroyed")
        found.supervisor.stop()
        with app.app_context():
            db.engine.dispose()


def test_the_pool_fills_and_a_claim_is_ready_at_once(supervised):
    supervised.pool_size(1)
    wait_until(lambda: supervised.count(SandboxStatus.WARM) == 1, 90, "a warm sandbox")
    warm_id = supervised.runtime.list_sandbox_ids()
    claimed = supervised.request()
    # The supervisor may have found it alive already by the time the row is read back.
    assert claimed.status in (SandboxStatus.CLAIMED.value, SandboxStatus.READY.value)
    assert claimed.id in warm_id
    ready = wait_until(
        lambda: supervised.row(claimed.id).status == SandboxStatus.READY.value, 10, "the claim"
    )
    assert ready
    row = supervised.row(claimed.id)
    assert row.owner_id == supervised.owner_id
    assert row.purpose == "test"
    assert row.expires_at is not None
    assert row.progress_percent == 100
    # The pool refills behind the claim.
    wait_until(lambda: supervised.count(SandboxStatus.WARM, owned=False) == 1, 90, "the refill")
    supervised.pool_size(0)


def test_with_no_warm_sandbox_the_trainee_sees_progress_until_ready(supervised):
    supervised.pool_size(0)
    wait_until(
        lambda: supervised.count(SandboxStatus.WARM) == 0 or _retire_warm(supervised), 30, "no warm"
    )
    sandbox = supervised.request()
    assert sandbox.status == SandboxStatus.REQUESTED.value
    assert sandbox.progress
    seen: list[tuple[str, int]] = []

    def ready() -> bool:
        row = supervised.row(sandbox.id)
        if not seen or seen[-1] != (row.progress, row.progress_percent):
            seen.append((row.progress, row.progress_percent))
        assert row.status != SandboxStatus.FAILED.value, row.error
        return row.status == SandboxStatus.READY.value

    wait_until(ready, 90, "the cold start")
    messages = [message for message, _ in seen]
    assert len(set(messages)) >= 3, seen
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents), seen
    assert any("Booting" in m or "Starting" in m for m in messages), seen
    assert supervised.runtime.alive(sandbox.id)


def test_idle_and_hard_limits_warn_then_the_reaper_destroys(supervised):
    settings = supervised.app.config["ACADEMY"]
    sandbox = _ready_sandbox(supervised)
    almost_idle = utcnow() - timedelta(minutes=settings.sandbox_idle_minutes - 2)
    supervised.update(sandbox, last_activity_at=almost_idle)
    warned = wait_until(lambda: supervised.row(sandbox).warning, 10, "the expiry warning")
    assert "closes in" in warned
    with supervised.app.app_context():
        services.touch(sandbox)
        db.session.commit()
    assert supervised.row(sandbox).warning is None
    supervised.update(sandbox, expires_at=utcnow() - timedelta(seconds=1))
    wait_until(
        lambda: supervised.row(sandbox).status == SandboxStatus.DESTROYED.value, 30, "the reaper"
    )
    row = supervised.row(sandbox)
    assert "time limit" in row.progress
    assert row.destroyed_at is not None
    assert sandbox not in supervised.runtime.list_sandbox_ids()
    assert not (supervised.runtime.disks.root / sandbox).exists()


def test_a_container_killed_from_outside_is_noticed(supervised):
    sandbox = _ready_sandbox(supervised)
    supervised.runtime.api.kill(container_name(sandbox, "prod"))
    failed = wait_until(
        lambda: supervised.row(sandbox).status == SandboxStatus.FAILED.value, 30, "the dead host"
    )
    assert failed
    row = supervised.row(sandbox)
    assert "prod" in (row.error or "")
    assert "outside the platform" in (row.error or "")
    wait_until(lambda: sandbox not in supervised.runtime.list_sandbox_ids(), 15, "its removal")


def test_reconcile_removes_orphans_and_stray_disks(supervised):
    runtime = supervised.runtime
    orphan = uuid.uuid4().hex
    labels = {LABEL: orphan, SCOPE_LABEL: runtime.scope, "academy.host": "prod"}
    container = runtime.api.create_container(IMAGE, entrypoint=["sleep", "600"], labels=labels)
    runtime.api.start(container["Id"])
    stray = uuid.uuid4().hex
    (runtime.disks.root / stray).mkdir(parents=True)
    with supervised.app.app_context():
        done = reconcile(supervised.app)
    assert done["orphans"] >= 1
    assert done["disks"] >= 1
    with pytest.raises(docker.errors.NotFound):
        runtime.api.inspect_container(container["Id"])
    assert not (runtime.disks.root / stray).exists()


def test_a_start_abandoned_by_a_dead_worker_is_retried(supervised):
    supervised.supervisor.halt()  # stand in for a worker that died mid-start
    supervised.supervisor.stop()
    with supervised.app.app_context():
        sandbox = Sandbox(
            profile=DEFAULT_PROFILE,
            status=SandboxStatus.STARTING.value,
            owner_id=supervised.owner_id,
            purpose="test",
            progress="Booting",
            last_activity_at=utcnow() - timedelta(minutes=10),
        )
        db.session.add(sandbox)
        db.session.commit()
        sandbox_id = sandbox.id
        reconcile(supervised.app)
    assert supervised.row(sandbox_id).status == SandboxStatus.REQUESTED.value
    supervised.supervisor = Supervisor(supervised.app, tick=0.25)
    supervised.supervisor.start()
    wait_until(
        lambda: supervised.row(sandbox_id).status == SandboxStatus.READY.value, 90, "the retry"
    )


def test_a_sandbox_released_while_starting_is_cleaned_up(supervised, caplog):
    supervised.pool_size(0)
    sandbox = supervised.request()
    wait_until(
        lambda: (
            supervised.row(sandbox.id).status == SandboxStatus.STARTING.value
            and supervised.row(sandbox.id).progress_percent >= 20
        ),
        30,
        "the start to be under way",
    )
    with supervised.app.app_context():
        services.release(sandbox.id)
        db.session.commit()
    supervised.supervisor.wake()
    wait_until(
        lambda: supervised.row(sandbox.id).status == SandboxStatus.DESTROYED.value, 60, "cleanup"
    )
    wait_until(lambda: sandbox.id not in supervised.runtime.list_sandbox_ids(), 10, "no containers")
    assert not (supervised.runtime.disks.root / sandbox.id).exists()
    assert "failed" not in caplog.text


def test_engine_checks_name_the_build_command_for_a_missing_image(supervised):
    from app.sandboxes.runtime import SandboxUnavailable

    with pytest.raises(SandboxUnavailable) as missing:
        get_runtime(supervised.app, images=["no-such-lab-image"])
    assert "academy images build" in missing.value.reason
    with supervised.app.app_context():
        sandbox = services.request_sandbox("prod=no-such-lab-image", supervised.owner_id, "test")
        db.session.commit()
        sandbox_id = sandbox.id
    supervised.supervisor.wake()
    wait_until(
        lambda: supervised.row(sandbox_id).status == SandboxStatus.FAILED.value, 10, "the failure"
    )
    assert "academy images build" in (supervised.row(sandbox_id).error or "")


def _ready_sandbox(supervised: Supervised) -> str:
    sandbox = supervised.request()
    wait_until(lambda: supervised.row(sandbox.id).status == SandboxStatus.READY.value, 90, "ready")
    return sandbox.id


def _retire_warm(supervised: Supervised) -> bool:
    with supervised.app.app_context():
        for sandbox_id in db.session.scalars(
            select(Sandbox.id).where(Sandbox.status == SandboxStatus.WARM.value)
        ):
            services.release(sandbox_id)
        db.session.commit()
    supervised.supervisor.wake()
    return False
