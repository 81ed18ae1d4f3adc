"""`academy bench sandboxes`: claim-to-ready times, idle memory and capacity on this machine.

The benchmark runs the real path (request_sandbox, the supervisor, the Docker runtime) on a
throwaway SQLite database in a temporary instance folder, so it never touches the platform's own
data, and its containers carry their own scope label, so a running server leaves them alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.config import ROOT, Settings
from app.extensions import db
from app.sandboxes import pool
from app.sandboxes.models import LIVE, Sandbox, SandboxStatus
from app.sandboxes.pool import RESERVED_MB, machine_memory_mb
from app.sandboxes.runtime import DockerRuntime, SandboxUnavailable, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE, release, request_sandbox
from app.sandboxes.supervisor import Supervisor

Log = Callable[[str], None]
READY_TIMEOUT = 120.0
IDLE_SAMPLE = 4
SETTLE_SECONDS = 40.0
CPU_WINDOW = 20.0


@dataclass
class Figures:
    """The benchmark's results."""

    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    idle_mem_mb: float = 0.0
    idle_cpu_percent: float = 0.0
    disk_mb: float = 0.0
    capacity_by: dict[str, int] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        """Return how many idle sandboxes fit: the tightest of memory, CPU and disk."""
        return min(self.capacity_by.values()) if self.capacity_by else 0

    def as_json(self) -> dict[str, float | int]:
        """Return the figures under their published keys."""
        return {
            "warm_p50_s": _percentile(self.warm, 50),
            "warm_p95_s": _percentile(self.warm, 95),
            "cold_p50_s": _percentile(self.cold, 50),
            "cold_p95_s": _percentile(self.cold, 95),
            "idle_mem_mb": self.idle_mem_mb,
            "capacity": self.capacity,
        }

    def lines(self) -> list[str]:
        """Return the figures as a short report."""
        figures = self.as_json()
        bounds = ", ".join(f"{k} {v}" for k, v in self.capacity_by.items())
        warm = f"p50 {figures['warm_p50_s']:.3f} s   p95 {figures['warm_p95_s']:.3f} s"
        cold = f"p50 {figures['cold_p50_s']:.3f} s   p95 {figures['cold_p95_s']:.3f} s"
        machine = f"{os.cpu_count()} cores, {machine_memory_mb()} MB"
        return [
            f"claim-to-ready, warm pool : {warm}   ({len(self.warm)} runs)",
            f"claim-to-ready, cold      : {cold}   ({len(self.cold)} runs)",
            f"idle sandbox              : {self.idle_mem_mb:.1f} MB memory, "
            f"{self.idle_cpu_percent:.2f} % of a core, {self.disk_mb:.0f} MB disk",
            f"capacity (idle sandboxes) : {self.capacity}   (bounded by {bounds}; {machine})",
        ]


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 3)


def run_benchmark(runs: int, log: Log) -> Figures:
    """Measure warm and cold claim-to-ready over runs each, then idle cost and capacity."""
    instance = Path(tempfile.mkdtemp(prefix="academy-bench-"))
    app = _bench_app(instance)
    supervisor = Supervisor(app)
    figures = Figures()
    # Measure one profile: the labs' other profiles would warm up alongside and blur the figures.
    sources, pool.PROFILE_SOURCES[:] = list(pool.PROFILE_SOURCES), []
    try:
        with app.app_context():
            try:
                get_runtime(app)
            except SandboxUnavailable as problem:
                raise RuntimeError(problem.reason) from None
            owner = _bench_user()
        supervisor.start()
        log(f"warm runs (pool of {app.config['ACADEMY'].sandbox_pool_size})")
        for run in range(runs):
            _wait_for(app, lambda: _count(SandboxStatus.WARM) >= 1, "a warm sandbox")
            figures.warm.append(_claim_to_ready(app, supervisor, owner, release_after=True))
            log(f"  warm {run + 1}/{runs}: {figures.warm[-1]:.3f} s")
        _set_pool(app, 0)
        _release_all(app, supervisor)
        log("cold runs (no pool)")
        for run in range(runs):
            figures.cold.append(_claim_to_ready(app, supervisor, owner))
            log(f"  cold {run + 1}/{runs}: {figures.cold[-1]:.3f} s")
            _release_all(app, supervisor)
        log(f"idle cost: {IDLE_SAMPLE} warm sandboxes, {SETTLE_SECONDS:.0f} s to settle")
        _set_pool(app, IDLE_SAMPLE)
        _wait_for(app, lambda: _count(SandboxStatus.WARM) >= IDLE_SAMPLE, "the idle sample")
        time.sleep(SETTLE_SECONDS)
        _idle_cost(app, figures)
    finally:
        pool.PROFILE_SOURCES[:] = sources
        _set_pool(app, 0)
        _release_all(app, supervisor)
        supervisor.stop()
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(instance, ignore_errors=True)
    return figures


def _bench_app(instance: Path) -> Flask:
    base = Settings.from_env(
        {**os.environ, "ACADEMY_ENV": os.environ.get("ACADEMY_ENV", "development")}
    )
    settings = base.replace(
        database_url=f"sqlite:///{instance / 'bench.sqlite3'}",
        instance_dir=instance,
        supervisor_in_web=False,
        sandbox_pool_size=base.sandbox_pool_size or 2,
    )
    app = create_app(settings)
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
    return app


def _bench_user() -> int:
    from app.auth.models import Role
    from app.auth.services import create_user

    user = create_user("bench@academy.local", "Benchmark", os.urandom(16).hex(), Role.TRAINEE)
    db.session.commit()
    return int(user.id)


def _claim_to_ready(
    app: Flask, supervisor: Supervisor, owner: int, release_after: bool = False
) -> float:
    """Request a sandbox as a lab page would and time it until it is ready."""
    started = time.monotonic()
    with app.app_context():
        sandbox = request_sandbox(DEFAULT_PROFILE, owner, "bench")
        db.session.commit()
        sandbox_id = sandbox.id
    supervisor.wake()  # what the web request does after its commit
    deadline = started + READY_TIMEOUT
    while time.monotonic() < deadline:
        with app.app_context():
            row = db.session.get(Sandbox, sandbox_id)
            status, error = (row.status, row.error) if row else ("missing", None)
        if status == SandboxStatus.READY.value:
            seconds = time.monotonic() - started
            if release_after:
                with app.app_context():
                    release(sandbox_id)
                    db.session.commit()
            return seconds
        if status in (SandboxStatus.FAILED.value, "missing"):
            raise RuntimeError(f"sandbox {sandbox_id} failed: {error}")
        time.sleep(0.01)
    raise RuntimeError(f"sandbox {sandbox_id} was not ready within {READY_TIMEOUT:.0f} s")


def _idle_cost(app: Flask, figures: Figures) -> None:
    with app.app_context():
        runtime = get_runtime(app, images=[])
        warm = list(
            db.session.scalars(select(Sandbox.id).where(Sandbox.status == SandboxStatus.WARM.value))
        )
        memory = [runtime.memory_mb(sandbox_id) for sandbox_id in warm]
        cpu = _idle_cpu(runtime, warm)
        disks = [_disk_mb(runtime, sandbox_id) for sandbox_id in warm]
    figures.idle_mem_mb = round(statistics.mean(memory), 1)
    figures.idle_cpu_percent = round(cpu, 2)
    figures.disk_mb = round(statistics.mean(disks), 1)
    usable_mb = machine_memory_mb() - RESERVED_MB
    free_disk_mb = shutil.disk_usage(app.config["ACADEMY"].instance_dir).free / (1024 * 1024)
    cores = os.cpu_count() or 1
    figures.capacity_by = {"memory": int(usable_mb // max(figures.idle_mem_mb, 1.0))}
    # Idle CPU: keep a fifth of the cores free for the platform and for sandboxes in use.
    if figures.idle_cpu_percent > 0:
        figures.capacity_by["cpu"] = int(cores * 80 // figures.idle_cpu_percent)
    if figures.disk_mb > 0:
        figures.capacity_by["disk"] = int(free_disk_mb * 0.9 // figures.disk_mb)


def _idle_cpu(runtime: DockerRuntime, sandbox_ids: list[str]) -> float:
    """Return the mean CPU use of idle sandboxes over CPU_WINDOW seconds, in % of one core."""
    containers = [
        c["Id"]
        for sandbox_id in sandbox_ids
        for c in runtime.api.containers(filters={"label": f"academy.sandbox={sandbox_id}"})
    ]

    def used() -> int:
        return sum(
            int(
                runtime.api.stats(c, stream=False, one_shot=True)["cpu_stats"]["cpu_usage"][
                    "total_usage"
                ]
            )
            for c in containers
        )

    before, started = used(), time.monotonic()
    time.sleep(CPU_WINDOW)
    seconds = time.monotonic() - started
    return (used() - before) / 1e9 / seconds * 100 / max(1, len(sandbox_ids))


def _disk_mb(runtime: DockerRuntime, sandbox_id: str) -> float:
    """Return the blocks the sandbox's disk files really use on this machine, in MB."""
    folder = runtime.disks.root / sandbox_id
    blocks = sum(p.stat().st_blocks for p in folder.glob("*.img")) if folder.is_dir() else 0
    return blocks * 512 / (1024 * 1024)


def _set_pool(app: Flask, size: int) -> None:
    app.config["ACADEMY"] = app.config["ACADEMY"].replace(sandbox_pool_size=size)


def _count(status: SandboxStatus) -> int:
    return int(db.session.scalar(select(func.count()).where(Sandbox.status == status.value)) or 0)


def _wait_for(app: Flask, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        with app.app_context():
            if condition():
                return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def _release_all(app: Flask, supervisor: Supervisor) -> None:
    """Release every sandbox and wait until the engine has none left."""

    def released() -> bool:
        # Again on every poll: a pool fill already under way may still add one.
        live = list(
            db.session.scalars(
                select(Sandbox.id).where(Sandbox.status.in_([s.value for s in LIVE]))
            )
        )
        for sandbox_id in live:
            release(sandbox_id)
        db.session.commit()
        supervisor.wake()
        return not live and _count_live_or_expired() == 0

    _wait_for(app, released, "sandboxes to be destroyed")


def _count_live_or_expired() -> int:
    states = [s.value for s in LIVE] + [SandboxStatus.EXPIRED.value]
    return int(db.session.scalar(select(func.count()).where(Sandbox.status.in_(states))) or 0)
