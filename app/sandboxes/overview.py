"""What the admin page shows: the engine, capacity, the warm pool and every sandbox."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from sqlalchemy import or_, select

from app.auth.models import User
from app.clock import utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes import report
from app.sandboxes.capacity import Capacity, machine_memory_mb
from app.sandboxes.engine import engine_url
from app.sandboxes.firewall import FirewallState, firewall_for
from app.sandboxes.models import POOL_PURPOSE, Sandbox, SandboxStatus
from app.sandboxes.pool import Backoff, capacity, pool_profiles, start_backoff
from app.sandboxes.runtime import SandboxUnavailable, get_runtime
from app.sandboxes.services import deadline

RECENTLY_ENDED = 30


@dataclass
class PoolLine:
    """One profile of the warm pool: how many are warm and starting against the target."""

    profile: str
    warm: int
    starting: int
    target: int
    # Failed starts in a row, with when the pool tries again (None: the last start worked).
    backoff: Backoff | None = None


@dataclass
class SandboxLine:
    """One sandbox as the admin table shows it."""

    sandbox: Sandbox
    owner: User | None
    closes_at: str


@dataclass
class Overview:
    """Everything on the admin sandboxes page."""

    engine: str
    problem: str | None
    version: str
    disks: str
    capacity_hosts: int
    hosts_in_use: int
    machine_memory_mb: int
    memory_per_host_mb: int
    capacity: Capacity
    firewall: FirewallState
    pool: list[PoolLine] = field(default_factory=list)
    live: list[SandboxLine] = field(default_factory=list)
    ended: list[SandboxLine] = field(default_factory=list)


def overview(app: Flask) -> Overview:
    """Collect the admin page's figures (one engine call, a few queries)."""
    settings: Settings = app.config["ACADEMY"]
    problem, version, disks = None, "", ""
    if report.reports_from_worker(settings):
        # No engine in this process (the web service under docker-compose): the worker's word.
        problem = report.reported_problem(settings)
        said = report.read(settings) or {}
        version, disks = str(said.get("version") or ""), str(said.get("disks") or "")
        firewall = report.reported_firewall(settings)
    else:
        try:
            runtime = get_runtime(app)
            version = runtime.engine_version()
            disks = runtime.disks.describe()
        except SandboxUnavailable as unavailable:
            problem = unavailable.reason
        firewall = firewall_for(settings).state()
    room = capacity(app, settings)
    result = Overview(
        engine=engine_url(settings),
        problem=problem,
        version=version,
        disks=disks,
        capacity_hosts=room.hosts,
        hosts_in_use=room.in_use,
        machine_memory_mb=machine_memory_mb(),
        memory_per_host_mb=settings.sandbox_memory_mb,
        capacity=room,
        firewall=firewall,
    )
    over = [SandboxStatus.DESTROYED.value, SandboxStatus.FAILED.value]
    rows = db.session.scalars(
        select(Sandbox)
        .where(
            or_(Sandbox.status.notin_(over), Sandbox.destroyed_at >= utcnow() - timedelta(hours=24))
        )
        .order_by(Sandbox.created_at.desc())
    ).all()
    owners = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({s.owner_id for s in rows if s.owner_id}))
        )
    }
    counts: Counter[tuple[str, str]] = Counter(
        (s.profile, s.status) for s in rows if s.owner_id is None and s.purpose == POOL_PURPOSE
    )
    now = utcnow()
    for profile in pool_profiles(app):
        result.pool.append(
            PoolLine(
                profile,
                counts[(profile, SandboxStatus.WARM.value)],
                counts[(profile, SandboxStatus.STARTING.value)],
                settings.sandbox_pool_size,
                start_backoff(profile, now),
            )
        )
    for sandbox in rows:
        closes = deadline(sandbox, settings)
        line = SandboxLine(
            sandbox,
            owners.get(sandbox.owner_id) if sandbox.owner_id else None,
            f"{closes.at:%H:%M} ({closes.reason})" if closes else "",
        )
        if sandbox.status in over:
            if len(result.ended) < RECENTLY_ENDED:
                result.ended.append(line)
        else:
            result.live.append(line)
    return result
