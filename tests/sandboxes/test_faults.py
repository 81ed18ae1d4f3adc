"""Faults: the engine down or restarted, hosts killed, paused or cut off, probes removed, the
worker killed mid-check and PostgreSQL restarted, all against the real engine and database.

People are told why; no progress or evidence is lost; sandboxes recover or end with a clear
reason; and nothing is left running or mounted. What these tests do not do: restart dockerd
itself (other work shares this engine), so an engine restart is played as what it does to a
sandbox (every container stopped) while the engine is unreachable for a while.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, url_for
from sqlalchemy import func, select, update

from app.auth.models import Role, User
from app.auth.services import create_user
from app.clock import utcnow
from app.config import ROOT
from app.content import get_catalog
from app.content.labs import labs_of
from app.extensions import db
from app.labs import jobs
from app.labs import services as lab_services
from app.labs.models import CheckRun, LabSession, RunStatus, SessionStatus, TaskResult, Trigger
from app.sandboxes import pool, services
from app.sandboxes import runtime as runtime_module
from app.sandboxes.models import LIVE, Sandbox, SandboxStatus
from app.sandboxes.pool import fulfil_requests
from app.sandboxes.probes import probe_name
from app.sandboxes.runtime import (
    LABEL,
    DockerRuntime,
    SandboxUnavailable,
    container_name,
    get_runtime,
    network_name,
)
from app.sandboxes.services import DEFAULT_PROFILE
from app.sandboxes.supervisor import Supervisor
from tests import postgres
from tests.browser import build_app
from tests.conftest import PASSWORD, login
from tests.sandboxes.conftest import require_engine, wait_until

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


# -- faults against the real engine and database -------------------------------------------------

LAB = "slow-query"


def leftovers(runtime: DockerRuntime, sandbox_id: str) -> list[str]:
    """Return whatever of a sandbox is still on the engine or this machine."""
    label = {"label": f"{LABEL}={sandbox_id}"}
    found = [f"container {c['Names'][0]}" for c in runtime.api.containers(all=True, filters=label)]
    found += [f"network {n['Name']}" for n in runtime.api.networks(filters=label)]
    found += [
        f"volume {v['Name']}" for v in runtime.api.volumes(filters=label).get("Volumes") or []
    ]
    if (runtime.disks.root / sandbox_id).exists():
        found.append(f"disk folder {runtime.disks.root / sandbox_id}")
    loops = subprocess.run(
        ["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found += [f"loop device {line.strip()}" for line in loops.splitlines() if sandbox_id in line]
    for mounts in ("/proc/self/mountinfo", "/proc/1/mountinfo"):
        found += [
            f"mount {line}" for line in Path(mounts).read_text().splitlines() if sandbox_id in line
        ]
    return found


@dataclass
class Faulty:
    """An app on its own database with a running supervisor, to break things under."""

    app: Flask
    supervisor: Supervisor
    runtime: DockerRuntime

    def user(self) -> int:
        with self.app.app_context():
            user = create_user(
                f"t-{uuid.uuid4().hex[:8]}@example.test", "Trainee", PASSWORD, Role.TRAINEE
            )
            db.session.commit()
            return int(user.id)

    def request(self, owner_id: int) -> str:
        with self.app.app_context():
            sandbox = services.request_sandbox(DEFAULT_PROFILE, owner_id, f"lab:{LAB}")
            db.session.commit()
            sandbox_id = sandbox.id
        self.supervisor.wake()
        return sandbox_id

    def ready_sandbox(self, owner_id: int) -> str:
        sandbox_id = self.request(owner_id)
        wait_until(lambda: self.status(sandbox_id) == SandboxStatus.READY.value, 120, "ready")
        return sandbox_id

    def row(self, sandbox_id: str) -> Sandbox:
        with self.app.app_context():
            found = db.session.get(Sandbox, sandbox_id)
            assert found is not None
            db.session.expunge(found)
            return found

    def status(self, sandbox_id: str) -> str:
        row = self.row(sandbox_id)
        assert row.status != SandboxStatus.FAILED.value or "outside" in (row.error or ""), row.error
        return row.status

    def lab_session(self, owner_id: int, sandbox_id: str) -> int:
        """Record an active lab session in the sandbox with a passed task and a check run."""
        return record_session(self.app, owner_id, sandbox_id)

    def session(self, session_id: int) -> LabSession:
        with self.app.app_context():
            found = db.session.get(LabSession, session_id)
            assert found is not None
            db.session.expunge(found)
            return found

    def evidence(self, session_id: int) -> tuple[set[str], int]:
        return evidence_of(self.app, session_id)


def record_session(app: Flask, owner_id: int, sandbox_id: str) -> int:
    """Record an active session of LAB in the sandbox, its first task passed by a check run."""
    with app.app_context():
        lab = labs_of(get_catalog())[LAB]
        now = utcnow()
        session = LabSession(
            user_id=owner_id,
            lab_slug=LAB,
            sandbox_id=sandbox_id,
            seed=1,
            values={},
            answers={},
            status=SessionStatus.ACTIVE.value,
            content_version="test",
            progress="Ready",
            progress_percent=100,
            started_at=now,
            ready_at=now,
            expires_at=now + timedelta(hours=1),
        )
        db.session.add(session)
        db.session.flush()
        run = CheckRun(
            session_id=session.id,
            user_id=owner_id,
            task_id=lab.tasks[0].id,
            trigger=Trigger.BUTTON.value,
            status=RunStatus.DONE.value,
            results=[{"check_id": lab.tasks[0].checks[0].id, "outcome": "passed"}],
            output_excerpt="",
            content_version="test",
            requested_at=now,
            started_at=now,
            finished_at=now,
            seconds=0.2,
        )
        db.session.add(run)
        db.session.flush()
        db.session.add(
            TaskResult(
                session_id=session.id,
                task_id=lab.tasks[0].id,
                passed_at=now,
                passed_by_run_id=run.id,
                failed_checks=0,
            )
        )
        db.session.commit()
        return int(session.id)


def evidence_of(app: Flask, session_id: int) -> tuple[set[str], int]:
    """Return the session's passed tasks and how many finished check runs it has."""
    with app.app_context():
        session = db.session.get(LabSession, session_id)
        assert session is not None
        runs = db.session.scalar(
            select(func.count()).where(
                CheckRun.session_id == session_id, CheckRun.status == RunStatus.DONE.value
            )
        )
        return session.passed_task_ids(), int(runs or 0)


@pytest.fixture(scope="module")
def faulty(pg_server) -> Iterator[Faulty]:
    app = build_app(pg_server.create_database("academy_faults"), sandbox_pool_size=0)
    runtime = require_engine(app)
    patch = pytest.MonkeyPatch()
    patch.setattr(pool, "PROFILE_SOURCES", [])
    supervisor = Supervisor(app, tick=0.25)
    supervisor.start()
    try:
        yield Faulty(app, supervisor, runtime)
    finally:
        patch.undo()
        with app.app_context():
            for sandbox_id in db.session.scalars(
                select(Sandbox.id).where(Sandbox.status.in_([s.value for s in LIVE]))
            ):
                services.release(sandbox_id)
            db.session.commit()
        supervisor.wake()
        wait_until(lambda: not runtime.host_states(), 90, "every sandbox to be destroyed")
        supervisor.stop()
        with app.app_context():
            db.engine.dispose()


def _ended_cleanly(faulty: Faulty, sandbox_id: str, session_id: int, passed: set[str]) -> None:
    """The session ended with a reason, its evidence is intact and nothing is left behind."""
    wait_until(
        lambda: (
            faulty.session(session_id).status == SessionStatus.EXPIRED.value
            and faulty.session(session_id).busy is None
        ),
        60,
        "the lab session to end and clean up",
    )
    assert faulty.session(session_id).error
    assert faulty.evidence(session_id) == (passed, 1)
    wait_until(lambda: not leftovers(faulty.runtime, sandbox_id), 90, "nothing left behind")


@pytest.mark.docker
def test_a_killed_host_ends_its_sandbox_with_the_reason_and_leaves_nothing(faulty):
    owner = faulty.user()
    sandbox_id = faulty.ready_sandbox(owner)
    session_id = faulty.lab_session(owner, sandbox_id)
    passed, _ = faulty.evidence(session_id)
    faulty.runtime.api.kill(container_name(sandbox_id, "prod"))
    wait_until(lambda: faulty.row(sandbox_id).status == SandboxStatus.FAILED.value, 30, "failed")
    error = faulty.row(sandbox_id).error or ""
    assert "Its host prod stopped outside the platform" in error
    assert "Exited (137)" in error
    _ended_cleanly(faulty, sandbox_id, session_id, passed)


@pytest.mark.docker
def test_an_engine_restart_keeps_the_rows_until_it_answers_then_ends_what_it_stopped(
    faulty, monkeypatch
):
    """Played as the engine unreachable for a while and every container of a sandbox stopped
    (what a dockerd restart without live-restore does); dockerd itself is not restarted."""
    owner, other = faulty.user(), faulty.user()
    sandbox_id = faulty.ready_sandbox(owner)
    session_id = faulty.lab_session(owner, sandbox_id)
    passed, _ = faulty.evidence(session_id)
    state = faulty.app.extensions["academy.sandbox_runtime"]
    monkeypatch.setattr(
        runtime_module, "reachable", lambda url: "The Docker engine is restarting (simulated)."
    )
    state.checked_at = 0.0
    waiting = faulty.request(other)
    for container in faulty.runtime.api.containers(filters={"label": f"{LABEL}={sandbox_id}"}):
        faulty.runtime.api.stop(container["Id"], timeout=1)
    wait_until(
        lambda: "restarting (simulated)" in faulty.row(waiting).progress, 20, "the waiting reason"
    )
    assert faulty.row(waiting).progress.startswith("Waiting:")
    time.sleep(6)  # longer than a reconcile period: nothing is judged while the engine is away
    assert faulty.row(sandbox_id).status == SandboxStatus.READY.value
    assert faulty.session(session_id).status == SessionStatus.ACTIVE.value
    monkeypatch.undo()
    state.checked_at = 0.0
    wait_until(lambda: faulty.row(sandbox_id).status == SandboxStatus.FAILED.value, 30, "failed")
    assert "stopped outside the platform" in (faulty.row(sandbox_id).error or "")
    _ended_cleanly(faulty, sandbox_id, session_id, passed)
    wait_until(lambda: faulty.status(waiting) == SandboxStatus.READY.value, 120, "the waiter")
    with faulty.app.app_context():
        services.release(waiting)
        db.session.commit()
    faulty.supervisor.wake()
    wait_until(lambda: not leftovers(faulty.runtime, waiting), 60, "the waiter destroyed")


@pytest.mark.docker
def test_a_paused_host_is_resumed_and_the_session_goes_on(faulty):
    owner = faulty.user()
    sandbox_id = faulty.ready_sandbox(owner)
    session_id = faulty.lab_session(owner, sandbox_id)
    host = container_name(sandbox_id, "prod")
    faulty.runtime.api.pause(host)
    wait_until(
        lambda: faulty.runtime.api.inspect_container(host)["State"]["Status"] == "running",
        30,
        "the host resumed",
    )
    assert faulty.row(sandbox_id).status == SandboxStatus.READY.value
    assert faulty.runtime.exec(sandbox_id, "prod", ["true"]).ok
    assert faulty.session(session_id).status == SessionStatus.ACTIVE.value


@pytest.mark.docker
def test_a_removed_or_stopped_probe_comes_back_and_checks_still_run_in_it(faulty):
    owner = faulty.user()
    sandbox_id = faulty.ready_sandbox(owner)
    probe = probe_name(sandbox_id, "prod")
    api = faulty.runtime.api
    original = api.inspect_container(probe)["Id"]
    api.remove_container(probe, force=True)
    # Reconcile starts a new one...
    wait_until(lambda: any(c["Names"] == [f"/{probe}"] for c in api.containers()), 30, "a probe")
    assert api.inspect_container(probe)["Id"] != original
    # ...and a check asking for a missing or stopped probe brings it back itself.
    api.stop(probe, timeout=1)
    result = faulty.runtime.probe(sandbox_id, "prod", "echo inside=$ACADEMY_PROBE_INSIDE; hostname")
    assert result.exit_code == 0, result.stderr
    assert "inside=0" in result.stdout
    assert "prod" not in result.stdout.split()[-1]
    api.remove_container(probe, force=True)
    again = faulty.runtime.probe(sandbox_id, "prod", "echo inside=$ACADEMY_PROBE_INSIDE")
    assert "inside=0" in again.stdout
    assert faulty.row(sandbox_id).status == SandboxStatus.READY.value


@pytest.mark.docker
def test_a_removed_network_ends_the_sandbox_with_the_reason(faulty):
    owner = faulty.user()
    sandbox_id = faulty.ready_sandbox(owner)
    session_id = faulty.lab_session(owner, sandbox_id)
    passed, _ = faulty.evidence(session_id)
    api, network = faulty.runtime.api, network_name(sandbox_id)
    for container in api.containers(filters={"label": f"{LABEL}={sandbox_id}"}):
        api.disconnect_container_from_network(container["Id"], network, force=True)
    api.remove_network(network)
    wait_until(lambda: faulty.row(sandbox_id).status == SandboxStatus.FAILED.value, 30, "failed")
    assert "network disappeared" in (faulty.row(sandbox_id).error or "")
    _ended_cleanly(faulty, sandbox_id, session_id, passed)


KILLED_WORKER = """
import os, signal, sys
from app import create_app
from app.config import Settings
from app.labs import jobs

settings = Settings.from_env({"ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": sys.argv[2]})
app = create_app(settings.replace(database_url=sys.argv[1]))


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the worker dies in the middle of the check


jobs.sandbox_executor = lambda sandbox_id: die
jobs.sandbox_probe = lambda sandbox_id: die
jobs.run_queued(app, int(sys.argv[3]))
print("the worker was not killed")
"""


def test_a_worker_killed_mid_check_leaves_a_run_that_is_closed_with_the_reason(pg_server, tmp_path):
    url = pg_server.create_database("academy_killed_worker")
    app = build_app(url, sandbox_pool_size=0)
    with app.app_context():
        owner = create_user(f"k-{uuid.uuid4().hex[:6]}@example.test", "T", PASSWORD, Role.TRAINEE)
        sandbox = Sandbox(
            profile=DEFAULT_PROFILE,
            status=SandboxStatus.READY.value,
            owner_id=owner.id,
            purpose=f"lab:{LAB}",
        )
        db.session.add(sandbox)
        db.session.commit()
        owner_id, sandbox_id = owner.id, sandbox.id
    session_id = record_session(app, owner_id, sandbox_id)
    passed, _ = evidence_of(app, session_id)
    with app.app_context():
        session = db.session.get(LabSession, session_id)
        lab = labs_of(get_catalog())[LAB]
        run = lab_services.request_check(session, lab, user_id=owner_id, trigger=Trigger.BUTTON)
        db.session.commit()
        run_id = run.id
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, url, str(tmp_path), str(run_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ACADEMY_ENV": "test"},
    )
    assert worker.returncode == -9, worker.stdout + worker.stderr
    with app.app_context():
        lost = db.session.get(CheckRun, run_id)
        assert lost is not None
        assert lost.status == RunStatus.RUNNING.value  # claimed, then the worker died
        jobs.tick(app)  # soon after: another worker does not steal a run that may still be going
        db.session.refresh(lost)
        assert lost.status == RunStatus.RUNNING.value
        # Past the staleness limit (15 minutes, simulated) the run is closed with the reason.
        db.session.execute(
            update(CheckRun)
            .where(CheckRun.id == run_id)
            .values(started_at=utcnow() - jobs.STALE_AFTER - timedelta(minutes=1))
        )
        db.session.commit()
        jobs.tick(app)
        db.session.refresh(lost)
        assert lost.status == RunStatus.DONE.value
        assert "the worker stopped while it ran" in lost.output_excerpt
        assert lost.finished_at is not None
        # Nothing earned was lost, and the trainee can check again.
        session = db.session.get(LabSession, session_id)
        assert session.status == SessionStatus.ACTIVE.value
        again = lab_services.request_check(session, lab, user_id=owner_id, trigger=Trigger.BUTTON)
        db.session.commit()
        assert again is not None
        assert again.id != run_id
        assert again.status == RunStatus.QUEUED.value
    assert evidence_of(app, session_id) == (passed, 2)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.docker
def test_a_postgresql_restart_loses_nothing_and_the_supervisor_carries_on(tmp_path):
    server = postgres.start()
    app = build_app(server.create_database("academy_pg_restart"), sandbox_pool_size=0)
    runtime = require_engine(app)
    patch = pytest.MonkeyPatch()
    patch.setattr(pool, "PROFILE_SOURCES", [])
    supervisor = Supervisor(app, tick=0.25)
    supervisor.start()
    faulty = Faulty(app, supervisor, runtime)
    made: list[str] = []
    try:
        owner = faulty.user()
        sandbox_id = faulty.ready_sandbox(owner)
        made.append(sandbox_id)
        session_id = faulty.lab_session(owner, sandbox_id)
        passed, runs = faulty.evidence(session_id)
        starting = faulty.request(faulty.user())  # a start in flight when the database goes
        made.append(starting)
        ticks = supervisor.ticks
        server.restart(down_seconds=3)
        restarted = time.monotonic()
        wait_until(lambda: supervisor.ticks > ticks + 10, 30, "the supervisor to keep ticking")

        def started() -> bool:
            row = faulty.row(starting)
            abandoned = (
                row.status == SandboxStatus.STARTING.value
                and not supervisor.in_flight(starting)
                and time.monotonic() - restarted > 10
            )
            if abandoned:
                # Its job died with the connection: reconcile retries it once the heartbeat is
                # 3 minutes old (moved back here rather than waited for).
                with app.app_context():
                    db.session.execute(
                        update(Sandbox)
                        .where(Sandbox.id == starting)
                        .values(last_activity_at=utcnow() - timedelta(minutes=4))
                    )
                    db.session.commit()
            return row.status == SandboxStatus.READY.value

        wait_until(started, 180, "the sandbox started across the restart")
        assert faulty.row(sandbox_id).status == SandboxStatus.READY.value
        assert faulty.session(session_id).status == SessionStatus.ACTIVE.value
        assert faulty.evidence(session_id) == (passed, runs)
        later = faulty.ready_sandbox(faulty.user())  # and new work is done after it
        made.append(later)
        with app.app_context():
            failed = db.session.scalar(
                select(func.count()).where(Sandbox.status == SandboxStatus.FAILED.value)
            )
        assert failed == 0
    finally:
        with app.app_context():
            for sandbox_id in made:
                services.release(sandbox_id)
            db.session.commit()
        supervisor.wake()
        wait_until(lambda: not any(leftovers(runtime, s) for s in made), 90, "nothing left behind")
        supervisor.stop()
        patch.undo()
        with app.app_context():
            db.engine.dispose()
        server.stop()
