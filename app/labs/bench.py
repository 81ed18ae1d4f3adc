"""`academy bench checks`: how long a Check press takes to show its result, and its raw cost.

The benchmark builds its own platform on a scratch SQLite database with the supervisor running
in this process (no warm pool), starts a real session of a lab in a real sandbox, then presses
Check on the first task through the web endpoints and polls the status endpoint as the page does.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.clock import as_utc
from app.content.labs import Lab

START_TIMEOUT = 180.0
POLL_SECONDS = 0.05


@dataclass
class ChecksBench:
    """The figures of one benchmark."""

    lab: str
    task: str
    checks: int
    start_seconds: float
    press_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    queued_ms: list[float] = field(default_factory=list)
    running_ms: list[float] = field(default_factory=list)

    @staticmethod
    def _p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    def as_json(self) -> dict[str, Any]:
        """Return the figures as one JSON-ready object."""
        return {
            "lab": self.lab,
            "task": self.task,
            "checks_in_task": self.checks,
            "presses": len(self.press_ms),
            "press_p50_ms": round(statistics.median(self.press_ms), 1),
            "press_p95_ms": self._p(self.press_ms, 0.95),
            "raw_p50_ms": round(statistics.median(self.raw_ms), 1),
            "raw_p95_ms": self._p(self.raw_ms, 0.95),
            "queued_p50_ms": round(statistics.median(self.queued_ms), 1),
            "running_p50_ms": round(statistics.median(self.running_ms), 1),
            "session_start_seconds": round(self.start_seconds, 1),
        }

    def report(self) -> str:
        """Return the human-readable summary."""
        d = self.as_json()
        return (
            f"lab {d['lab']}, task {d['task']} ({d['checks_in_task']} checks), "
            f"{d['presses']} presses\n"
            f"  Check press → result shown: p50 {d['press_p50_ms']} ms, "
            f"p95 {d['press_p95_ms']} ms\n"
            f"    of which queued (press → picked up) p50 {d['queued_p50_ms']} ms, "
            f"running p50 {d['running_p50_ms']} ms\n"
            f"  raw check execution:        p50 {d['raw_p50_ms']} ms, p95 {d['raw_p95_ms']} ms\n"
            f"  session start (request → ready to work): {d['session_start_seconds']} s"
        )


def _bench_app(app: Flask, folder: Path) -> Flask:
    import flask_migrate

    from app import create_app
    from app.config import ROOT

    settings = app.config["ACADEMY"].replace(
        database_url=f"sqlite:///{folder / 'bench.sqlite3'}",
        instance_dir=folder,
        sandbox_pool_size=0,
        supervisor_in_web=False,
        # The benchmark presses Check back to back: the per-session rate limit would refuse it.
        lab_checks_per_minute=1_000_000,
    )
    bench = create_app(settings, overrides={"WTF_CSRF_ENABLED": False})
    with bench.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
    return bench


def _wait_active(client: FlaskClient, session_id: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        status = client.get(f"/labs/sessions/{session_id}/status").get_json()
        if status["status"] == "active":
            return
        if not status["open"]:
            raise RuntimeError(f"the lab session ended while starting: {status['error']}")
        time.sleep(0.2)
    raise RuntimeError(f"the lab session was not ready within {START_TIMEOUT:.0f} s")


def _press(client: FlaskClient, session_id: int, task_id: str) -> float:
    started = time.perf_counter()
    answer = client.post(f"/labs/sessions/{session_id}/check", json={"task": task_id}).get_json()
    run_id = answer.get("run")
    if run_id is None:
        raise RuntimeError(f"Check was refused: {answer}")
    while True:
        status = client.get(f"/labs/sessions/{session_id}/status").get_json()
        last = status.get("last_run") or {}
        if last.get("id") == run_id or (last.get("id") or 0) > run_id:
            return (time.perf_counter() - started) * 1000
        time.sleep(POLL_SECONDS)


def bench_checks(app: Flask, lab: Lab, presses: int) -> ChecksBench:
    """Start a session of lab, press Check on a typical task presses times, and time it."""
    from app.auth.models import Role
    from app.auth.services import create_user
    from app.extensions import db
    from app.labs.checks import CheckRunner
    from app.labs.jobs import sandbox_executor, sandbox_probe
    from app.labs.models import CheckRun, LabSession
    from app.sandboxes.services import unavailable_reason
    from app.sandboxes.supervisor import Supervisor

    reason = unavailable_reason(app)
    if reason:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="academy-bench-checks-"))
    bench_app = _bench_app(app, folder)
    supervisor = Supervisor(bench_app)
    supervisor.start()
    # A typical task: the first whose checks all run in the sandbox (an unanswered question
    # is failed without running anything).
    task = next((t for t in lab.tasks if all(c.kind != "answer" for c in t.checks)), lab.tasks[0])
    try:
        with bench_app.app_context():
            create_user("bench@academy.local", "Bench Trainee", "bench-password-123", Role.TRAINEE)
            db.session.commit()
        client = bench_app.test_client()
        client.post(
            "/login", data={"email": "bench@academy.local", "password": "bench-password-123"}
        )
        started = time.perf_counter()
        response = client.post(f"/labs/{lab.id}/start")
        if response.status_code != 302:
            raise RuntimeError(f"starting the lab failed ({response.status_code})")
        session_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
        _wait_active(client, session_id)
        result = ChecksBench(lab.id, task.id, len(task.checks), time.perf_counter() - started)
        _press(client, session_id, task.id)  # warm-up: first imports and connections
        for _ in range(presses):
            result.press_ms.append(_press(client, session_id, task.id))
        with bench_app.app_context():
            for run in db.session.scalars(
                select(CheckRun).where(CheckRun.session_id == session_id).order_by(CheckRun.id)
            ).all()[1:]:
                if run.started_at and run.finished_at:
                    result.queued_ms.append(_ms(run.requested_at, run.started_at))
                    result.running_ms.append(_ms(run.started_at, run.finished_at))
            session = db.session.get(LabSession, session_id)
            assert session is not None
            assert session.sandbox_id is not None
            runner = CheckRunner(
                sandbox_executor(session.sandbox_id),
                session.values,
                str(session.id),
                sandbox_probe(session.sandbox_id),
            )
            for _ in range(presses):
                clock = time.perf_counter()
                for check in task.checks:
                    runner.run(check)
                result.raw_ms.append((time.perf_counter() - clock) * 1000)
        client.post(f"/labs/sessions/{session_id}/finish")
        _wait_released(bench_app, session_id)
        return result
    finally:
        supervisor.stop()
        _destroy_leftovers(bench_app)
        shutil.rmtree(folder, ignore_errors=True)


def _ms(start: datetime, end: datetime) -> float:
    return (as_utc(end) - as_utc(start)).total_seconds() * 1000


def _wait_released(app: Flask, session_id: int) -> None:
    from app.extensions import db
    from app.labs.models import LabSession
    from app.sandboxes.models import Sandbox

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            session = db.session.get(LabSession, session_id)
            sandbox = (
                db.session.get(Sandbox, session.sandbox_id)
                if session and session.sandbox_id
                else None
            )
            if sandbox is None or sandbox.status in ("destroyed", "failed"):
                return
        time.sleep(0.5)


def _destroy_leftovers(app: Flask) -> None:
    from app.sandboxes.runtime import get_runtime

    runtime = get_runtime(app, images=[])
    for sandbox_id in runtime.list_sandbox_ids():
        runtime.destroy(sandbox_id)
