"""`academy bench sandboxes`: claim-to-ready times, idle cost, and capacity measured for real.

The benchmark runs the real path (request_sandbox, the supervisor, the Docker runtime) on a
throwaway SQLite database in a temporary instance folder, so it never touches the platform's own
data, and its containers carry their own scope label, so a running server leaves them alone.

Capacity is measured by starting idle sandboxes through the warm pool until `--fill` hosts run
at once or the first limit stops it (the capacity checks refuse, starts fail, or no progress),
with memory and disk overcommitted (ACADEMY_SANDBOX_MAX_HOSTS = the target) so that what stops it
is the machine, not the by-limit budget. It reports the hosts really running at once (counted on
the engine), the time to fill, their memory (cgroups, page cache excluded, and the machine's
available memory before and after) and CPU, then destroys every one and checks nothing is left.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.clock import utcnow
from app.config import ROOT, Settings
from app.extensions import db
from app.sandboxes import pool
from app.sandboxes.capacity import RESERVED_MB, available_memory_mb, machine_memory_mb, measure
from app.sandboxes.models import LIVE, Sandbox, SandboxStatus
from app.sandboxes.probes import PROBE_CGROUP_PARENT, PROBE_LABEL
from app.sandboxes.runtime import SCOPE_LABEL, DockerRuntime, SandboxUnavailable, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE, release, request_sandbox
from app.sandboxes.supervisor import Supervisor

Log = Callable[[str], None]
READY_TIMEOUT = 240.0
IDLE_SAMPLE = 4
SETTLE_SECONDS = 40.0
CPU_WINDOW = 20.0
FILL_HOSTS = 150
# The fill stops when no sandbox became warm for this long (and reports why).
FILL_STALL_SECONDS = 180.0
FILL_SETTLE_SECONDS = 20.0


@dataclass
class Figures:
    """The benchmark's results."""

    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    idle_mem_mb: float = 0.0
    idle_cpu_percent: float = 0.0
    disk_mb: float = 0.0
    capacity_by: dict[str, int] = field(default_factory=dict)
    fill: Fill | None = None

    @property
    def capacity(self) -> int:
        """Return how many idle sandboxes fit: the tightest of memory, CPU and disk."""
        return min(self.capacity_by.values()) if self.capacity_by else 0

    def as_json(self) -> dict[str, float | int | str]:
        """Return the figures under their published keys."""
        figures: dict[str, float | int | str] = {
            "warm_p50_s": _percentile(self.warm, 50),
            "warm_p95_s": _percentile(self.warm, 95),
            "cold_p50_s": _percentile(self.cold, 50),
            "cold_p95_s": _percentile(self.cold, 95),
            "idle_mem_mb": self.idle_mem_mb,
            "capacity": self.capacity,
        }
        if self.fill is not None:
            figures |= self.fill.as_json()
        return figures

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
            f"estimate from idle cost   : {self.capacity}   (bounded by {bounds}; {machine})",
            *(self.fill.lines() if self.fill else []),
        ]


@dataclass
class Fill:
    """Idle sandboxes really started until a target or a limit, and what they cost at once."""

    target: int
    started: int = 0
    seconds: float = 0.0
    limit: str = ""
    mem_mb: float = 0.0
    machine_mem_mb: float = 0.0
    cpu_percent: float = 0.0
    machine_cpu_percent: float = 0.0
    reported: int = 0
    cleaned: bool = False

    def as_json(self) -> dict[str, float | int | str]:
        """Return the fill's figures under their published keys."""
        per_host = self.started or 1
        return {
            "capacity_started": self.started,
            "fill_target": self.target,
            "fill_seconds": round(self.seconds, 1),
            "fill_limit": self.limit,
            "fill_mem_mb": round(self.mem_mb),
            "fill_mem_per_host_mb": round(self.mem_mb / per_host, 1),
            "fill_machine_mem_mb": round(self.machine_mem_mb),
            "fill_cpu_percent": round(self.cpu_percent, 1),
            "fill_cpu_per_host_percent": round(self.cpu_percent / per_host, 3),
            "fill_machine_cpu_percent": round(self.machine_cpu_percent, 1),
            "capacity_reported": self.reported,
            "cleaned_up": self.cleaned,
        }

    def lines(self) -> list[str]:
        """Return the fill as report lines."""
        per_host = self.started or 1
        return [
            f"really started at once    : {self.started} hosts of {self.target} wanted, "
            f"in {self.seconds:.0f} s ({self.limit})",
            f"  memory, all of them     : {self.mem_mb:.0f} MB in their cgroups "
            f"({self.mem_mb / per_host:.1f} MB per host with its probe); the machine's available "
            f"memory fell by {self.machine_mem_mb:.0f} MB",
            f"  CPU while idle          : {self.cpu_percent:.1f} % of a core in their cgroups "
            f"({self.cpu_percent / per_host:.3f} % per host); machine busy "
            f"{self.machine_cpu_percent:.1f} % of one core (everything running on it)",
            f"  capacity the platform reports by limit: {self.reported} hosts; "
            f"cleaned up afterwards: {'yes' if self.cleaned else 'NO'}",
        ]


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[percent - 1], 3)


def run_benchmark(runs: int, log: Log, fill: int = FILL_HOSTS) -> Figures:
    """Measure warm and cold claim-to-ready over runs each, idle cost, then fill to a limit."""
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
        if fill > 0:
            _set_pool(app, 0)
            _release_all(app, supervisor)
            figures.fill = Fill(target=fill)
            _fill(app, supervisor, figures.fill, log)
    finally:
        pool.PROFILE_SOURCES[:] = sources
        _set_pool(app, 0)
        _release_all(app, supervisor)
        if figures.fill is not None:
            figures.fill.cleaned = _nothing_left(app)
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


def _wait_for(
    app: Flask, condition: Callable[[], bool], what: str, timeout: float = READY_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if condition():
                return
        time.sleep(0.05)
    with app.app_context():
        states = db.session.execute(
            select(Sandbox.status, func.count()).group_by(Sandbox.status)
        ).all()
        last = db.session.scalar(select(Sandbox).order_by(Sandbox.created_at.desc()).limit(1))
        seen = ", ".join(f"{count} {status}" for status, count in states) or "no sandboxes"
        latest = f"; the latest: {last.status}, {last.error or last.progress}" if last else ""
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} ({seen}{latest})")


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

    with app.app_context():
        many = _count_live_or_expired()
    # Destroying takes about a second a sandbox on the job pool's threads.
    _wait_for(app, released, "sandboxes to be destroyed", READY_TIMEOUT + 2.0 * many)


def _count_live_or_expired() -> int:
    states = [s.value for s in LIVE] + [SandboxStatus.EXPIRED.value]
    return int(db.session.scalar(select(func.count()).where(Sandbox.status.in_(states))) or 0)


# -- capacity, measured by filling the machine ----------------------------------------------------


def _fill(app: Flask, supervisor: Supervisor, fill: Fill, log: Log) -> None:
    """Start idle sandboxes through the pool until fill.target hosts run or a limit stops it."""
    base: Settings = app.config["ACADEMY"]
    with app.app_context():
        fill.reported = measure(app, base.replace(sandbox_max_hosts=0), 0).hosts
        runtime = get_runtime(app, images=[])
    available_before = available_memory_mb() or 0
    app.config["ACADEMY"] = base.replace(sandbox_max_hosts=fill.target)
    log(f"fill: idle sandboxes until {fill.target} hosts run at once or a limit stops it")
    started = time.monotonic()
    _set_pool(app, fill.target)
    supervisor.wake()
    warm, last_change, peak_at, reported = 0, started, started, 0
    while True:
        time.sleep(1.0)
        now = time.monotonic()
        with app.app_context():
            count = _count(SandboxStatus.WARM)
            starting = _count(SandboxStatus.STARTING)
            room = pool.capacity(app, app.config["ACADEMY"])
            backoff = pool.start_backoff(DEFAULT_PROFILE, utcnow())
        if count != warm:
            warm, last_change, peak_at = count, now, now
        if warm >= reported + 10:
            reported = warm - warm % 10
            log(f"  {warm} warm after {now - started:.0f} s")
        if warm >= fill.target:
            fill.limit = f"reached the target of {fill.target} hosts"
        elif starting:
            if now - last_change > FILL_STALL_SECONDS:
                fill.limit = _stalled(app, f"{starting} still starting")
        elif room.refusal:
            fill.limit = f"the capacity check refused more: {room.refusal}"
        elif backoff is not None and backoff.waiting(utcnow()):
            fill.limit = f"starts failed {backoff.failures} times in a row: {backoff.error}"
        elif room.limit is not None and room.hosts <= warm:
            fill.limit = f"capacity bound by {room.limit.resource}: {room.limit.detail}"
        elif now - last_change > FILL_STALL_SECONDS:
            fill.limit = _stalled(app, "none starting")
        if fill.limit:
            break
    _set_pool(app, warm)  # no more starts; those under way finish
    _wait_for(
        app, lambda: _count(SandboxStatus.STARTING) == 0, "the last starts", READY_TIMEOUT * 2
    )
    fill.seconds = peak_at - started
    log(f"fill: {fill.limit}; settling {FILL_SETTLE_SECONDS:.0f} s")
    time.sleep(FILL_SETTLE_SECONDS)
    containers = runtime.api.containers(filters={"label": f"{SCOPE_LABEL}={runtime.scope}"})
    hosts = [c["Id"] for c in containers if PROBE_LABEL not in c["Labels"]]
    everything = [c["Id"] for c in containers]
    fill.started = len(hosts)
    fill.mem_mb = sum(_memory_mb(runtime, c) for c in everything)
    fill.machine_mem_mb = max(0, available_before - (available_memory_mb() or 0))
    cpu_before, machine_before, clock = (
        _cpu_ns(runtime, everything),
        _busy_jiffies(),
        time.monotonic(),
    )
    time.sleep(CPU_WINDOW)
    seconds = time.monotonic() - clock
    fill.cpu_percent = (_cpu_ns(runtime, everything) - cpu_before) / 1e9 / seconds * 100
    ticks = os.sysconf("SC_CLK_TCK")
    fill.machine_cpu_percent = (_busy_jiffies() - machine_before) / ticks / seconds * 100
    app.config["ACADEMY"] = base


def _stalled(app: Flask, starting: str) -> str:
    """Say that the fill stopped making progress, with what might explain it."""
    from app.sandboxes.services import unavailable_reason

    with app.app_context():
        engine = unavailable_reason(app)
    why = f"; the engine: {engine}" if engine else ""
    return f"no sandbox became warm for {FILL_STALL_SECONDS:.0f} s ({starting}{why})"


def _cgroup(container_id: str, controller: str, name: str) -> Path | None:
    """Return a cgroup file of a container (v1 or v2, cgroupfs or systemd driver), if local."""
    root = Path("/sys/fs/cgroup")
    for candidate in (
        root / controller / "docker" / container_id / name,
        root / controller / PROBE_CGROUP_PARENT.strip("/") / container_id / name,
        root / controller / "system.slice" / f"docker-{container_id}.scope" / name,
        root / "system.slice" / f"docker-{container_id}.scope" / name,
        root / "docker" / container_id / name,
    ):
        if candidate.is_file():
            return candidate
    return None


def _memory_mb(runtime: DockerRuntime, container_id: str) -> float:
    """Return a container's memory without page cache, in MB (cgroup files, else the API)."""
    usage = _cgroup(container_id, "memory", "memory.usage_in_bytes") or _cgroup(
        container_id, "memory", "memory.current"
    )
    stat = _cgroup(container_id, "memory", "memory.stat")
    if usage is not None and stat is not None:
        fields = dict(line.split() for line in stat.read_text().splitlines() if " " in line)
        cache = int(fields.get("total_inactive_file", fields.get("inactive_file", 0)))
        return max(0, int(usage.read_text()) - cache) / (1024 * 1024)
    stats = runtime.api.stats(container_id, stream=False, one_shot=True)
    memory = stats.get("memory_stats", {})
    detail = memory.get("stats", {})
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return float(max(0, memory.get("usage", 0) - cache) / (1024 * 1024))


def _cpu_ns(runtime: DockerRuntime, container_ids: list[str]) -> int:
    """Return the CPU time the containers used so far, in nanoseconds."""
    total = 0
    for container_id in container_ids:
        v1 = _cgroup(container_id, "cpuacct", "cpuacct.usage")
        v2 = _cgroup(container_id, "cpu", "cpu.stat")
        if v1 is not None:
            total += int(v1.read_text())
        elif v2 is not None:
            usage = re.search(r"^usage_usec (\d+)", v2.read_text(), re.MULTILINE)
            total += int(usage.group(1)) * 1000 if usage else 0
        else:
            stats = runtime.api.stats(container_id, stream=False, one_shot=True)
            total += int(stats["cpu_stats"]["cpu_usage"]["total_usage"])
    return total


def _busy_jiffies() -> int:
    """Return the machine's busy CPU time so far (all cores), in clock ticks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle


def _nothing_left(app: Flask) -> bool:
    """Tell whether the benchmark left no container, network, volume, disk or loop device."""
    with app.app_context():
        runtime = get_runtime(app, images=[])
        scope = {"label": f"{SCOPE_LABEL}={runtime.scope}"}
        left = (
            runtime.api.containers(all=True, filters=scope)
            + runtime.api.networks(filters=scope)
            + (runtime.api.volumes(filters=scope).get("Volumes") or [])
        )
        root = runtime.disks.root
        loops = subprocess.run(
            ["losetup", "--list", "--noheadings", "--output", "BACK-FILE"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        stray = [line for line in loops.splitlines() if str(root) in line]
        folders = list(root.iterdir()) if root.is_dir() else []
    return not left and not stray and not folders
