"""What other features do with sandboxes: request one, find it, keep it alive, run commands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_request_context
from sqlalchemy import select, update

from app.clock import as_utc, utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes.models import (
    POOL_PURPOSE,
    Sandbox,
    SandboxStatus,
    TerminalRecording,
    new_sandbox_id,
)
from app.sandboxes.runtime import ExecResult, HostSpec, SandboxUnavailable, get_runtime

HOST_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,127}(:[A-Za-z0-9._-]{1,128})?$")
# The production server of the guide, as the labs name it: the profile the warm pool always keeps.
DEFAULT_PROFILE = "prod=impactlink-server@impactlink-prod"
# The lab page shows a warning this long before the reaper would close a sandbox.
WARNING_MINUTES = 5
# Where rows cannot be locked (SQLite) a claim may lose a race; it then tries the next row.
CLAIM_ATTEMPTS = 5


class ProfileError(ValueError):
    """A profile string does not describe a valid set of hosts."""


NET_ADMIN_MARK = "+net_admin"


def profile_key(hosts: list[HostSpec]) -> str:
    """Return the key of a host set, e.g. "prod=impactlink-server,staging=impactlink-server".

    A host whose hostname differs from its name is written name=image@hostname; a host that
    manages its own firewall ends in +net_admin.
    """
    if not hosts:
        raise ProfileError("a sandbox needs at least one host")
    parts = []
    for host in hosts:
        part = f"{host.name}={host.image}"
        if host.hostname != host.name:
            part += f"@{host.hostname}"
        if host.net_admin:
            part += NET_ADMIN_MARK
        parts.append(part)
    key = ",".join(parts)
    parse_profile(key)
    return key


def parse_profile(profile: str) -> list[HostSpec]:
    """Return the hosts a profile key describes, in order (the first is the default host)."""
    hosts: list[HostSpec] = []
    for part in profile.split(","):
        part = part.strip()
        net_admin = part.endswith(NET_ADMIN_MARK)
        if net_admin:
            part = part[: -len(NET_ADMIN_MARK)]
        name, sep, rest = part.partition("=")
        image, _, hostname = rest.partition("@")
        hostname = hostname or name
        if not sep or not HOST_NAME.match(name) or not IMAGE_NAME.match(image):
            raise ProfileError(f"bad host {part!r} in profile {profile!r} (expected name=image)")
        if not HOST_NAME.match(hostname):
            raise ProfileError(f"bad hostname {hostname!r} in profile {profile!r}")
        if any(h.name == name for h in hosts):
            raise ProfileError(f"host {name!r} appears twice in profile {profile!r}")
        hosts.append(HostSpec(name, image, hostname, net_admin))
    return hosts


def request_sandbox(profile: str, owner_id: int, purpose: str) -> Sandbox:
    """Hand the owner a sandbox: a warm one claimed at once, or a new `requested` row.

    The supervisor turns a claimed sandbox `ready` after a liveness check, and starts a
    requested one from nothing, writing its progress to the row as it goes.
    """
    parse_profile(profile)
    now = utcnow()
    sandbox = claim_warm(profile, owner_id, purpose, now)
    if sandbox is None:
        sandbox = Sandbox(
            id=new_sandbox_id(),
            profile=profile,
            status=SandboxStatus.REQUESTED.value,
            owner_id=owner_id,
            purpose=purpose,
            progress="Waiting for a server to start",
            progress_percent=2,
            created_at=now,
            last_activity_at=now,
        )
        db.session.add(sandbox)
        db.session.flush()
    _wake_supervisor_after_commit()
    return sandbox


def claim_warm(profile: str, owner_id: int, purpose: str, now: datetime) -> Sandbox | None:
    """Claim a warm sandbox of the profile for the owner, or return None when none is free.

    Row locks keep two workers from claiming the same one: SKIP LOCKED on PostgreSQL (others
    move on to the next row instead of waiting), and on every database a compare-and-set update
    that only succeeds while the row is still warm.
    """
    # One row at a time: locking several would hide all of them from the other claimers.
    for _ in range(CLAIM_ATTEMPTS):
        sandbox_id = db.session.scalar(
            select(Sandbox.id)
            .where(Sandbox.status == SandboxStatus.WARM.value, Sandbox.profile == profile)
            .order_by(Sandbox.ready_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if sandbox_id is None:
            return None
        claimed = db.session.execute(
            update(Sandbox)
            .where(Sandbox.id == sandbox_id, Sandbox.status == SandboxStatus.WARM.value)
            .values(
                status=SandboxStatus.CLAIMED.value,
                owner_id=owner_id,
                purpose=purpose,
                claimed_at=now,
                last_activity_at=now,
                progress="Handing over a warm server",
                progress_percent=95,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return db.session.get(Sandbox, sandbox_id, populate_existing=True)
    return None


def sandbox_for(sandbox_id: str) -> Sandbox | None:
    """Return a sandbox by id."""
    if not re.fullmatch(r"[0-9a-f]{32}", sandbox_id or ""):
        return None
    return db.session.get(Sandbox, sandbox_id)


def touch(sandbox_id: str) -> None:
    """Record activity now, which postpones the idle timeout and clears any warning."""
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == sandbox_id)
        .values(last_activity_at=utcnow(), warning=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def extend(sandbox_id: str, minutes: int) -> Sandbox:
    """Push the hard limit back by minutes (at most one full limit from now) and touch it."""
    settings: Settings = current_app.config["ACADEMY"]
    sandbox = sandbox_for(sandbox_id)
    if sandbox is None:
        raise LookupError(f"no sandbox {sandbox_id}")
    if sandbox.status != SandboxStatus.READY.value:
        raise ValueError("only a ready sandbox can be extended")
    now = utcnow()
    current = as_utc(sandbox.expires_at) if sandbox.expires_at else now
    ceiling = now + timedelta(minutes=settings.sandbox_hard_limit_minutes)
    sandbox.expires_at = min(current + timedelta(minutes=max(0, minutes)), ceiling)
    sandbox.last_activity_at = now
    sandbox.warning = None
    db.session.flush()
    return sandbox


def release(sandbox_id: str) -> None:
    """Mark the sandbox for destruction; the supervisor removes its containers."""
    db.session.execute(
        update(Sandbox)
        .where(
            Sandbox.id == sandbox_id,
            Sandbox.status.notin_([SandboxStatus.DESTROYED.value, SandboxStatus.FAILED.value]),
        )
        .values(status=SandboxStatus.EXPIRED.value, progress="Released", warning=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    _wake_supervisor_after_commit()


def exec_in(sandbox_id: str, host: str, command: list[str], **kw: object) -> ExecResult:
    """Run a command in one host of a sandbox (see DockerRuntime.exec for the options)."""
    runtime = get_runtime(current_app._get_current_object(), images=[])  # type: ignore[attr-defined]
    return runtime.exec(sandbox_id, host, command, **kw)  # type: ignore[arg-type]


def probe_in(sandbox_id: str, host: str, script: str, **kw: object) -> ExecResult:
    """Run a check script in a host's probe (see DockerRuntime.probe for the options)."""
    runtime = get_runtime(current_app._get_current_object(), images=[])  # type: ignore[attr-defined]
    return runtime.probe(sandbox_id, host, script, **kw)  # type: ignore[arg-type]


def recordings_for(user_id: int) -> list[TerminalRecording]:
    """Return a user's terminal recordings, newest first."""
    query = (
        select(TerminalRecording)
        .where(TerminalRecording.user_id == user_id)
        .order_by(TerminalRecording.started_at.desc(), TerminalRecording.id.desc())
    )
    return list(db.session.scalars(query))


def recordings_of_sandbox(sandbox_id: str) -> list[TerminalRecording]:
    """Return the recordings made in a sandbox, oldest first."""
    query = (
        select(TerminalRecording)
        .where(TerminalRecording.sandbox_id == sandbox_id)
        .order_by(TerminalRecording.started_at, TerminalRecording.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Deadline:
    """When a sandbox will be closed and why."""

    at: datetime
    reason: str


def deadline(sandbox: Sandbox, settings: Settings) -> Deadline | None:
    """Return the earlier of the idle and hard limits of an owned sandbox."""
    if sandbox.status not in (SandboxStatus.READY.value, SandboxStatus.CLAIMED.value):
        return None
    active = sandbox.last_activity_at or sandbox.ready_at or sandbox.created_at
    idle = Deadline(as_utc(active) + timedelta(minutes=settings.sandbox_idle_minutes), "idle")
    if sandbox.expires_at is None:
        return idle
    hard = Deadline(as_utc(sandbox.expires_at), "time limit")
    return hard if hard.at <= idle.at else idle


def status_of(sandbox: Sandbox, settings: Settings) -> dict[str, object]:
    """Return what a page polling the sandbox needs to know, as JSON-ready values."""
    closes = deadline(sandbox, settings)
    return {
        "id": sandbox.id,
        "status": sandbox.status,
        "ready": sandbox.is_ready,
        "progress": sandbox.progress,
        "percent": sandbox.progress_percent,
        "error": sandbox.error,
        "warning": sandbox.warning,
        "closes_at": closes.at.isoformat() if closes else None,
        "closes_because": closes.reason if closes else None,
    }


def unavailable_reason(app: Flask) -> str | None:
    """Return why labs cannot run right now (engine or images), or None when they can."""
    from app.sandboxes import report

    if report.reports_from_worker(app.config["ACADEMY"]):
        return report.reported_problem(app.config["ACADEMY"])
    try:
        get_runtime(app)
    except SandboxUnavailable as problem:
        return problem.reason
    return None


def live_sandboxes_of(owner_id: int) -> list[Sandbox]:
    """Return an owner's sandboxes that are not over yet, newest first."""
    over = [SandboxStatus.DESTROYED.value, SandboxStatus.FAILED.value, SandboxStatus.EXPIRED.value]
    query = (
        select(Sandbox)
        .where(Sandbox.owner_id == owner_id, Sandbox.status.notin_(over))
        .order_by(Sandbox.created_at.desc())
    )
    return list(db.session.scalars(query))


def is_pool(sandbox: Sandbox) -> bool:
    """Tell whether the sandbox is an unclaimed member of the warm pool."""
    return sandbox.owner_id is None and sandbox.purpose == POOL_PURPOSE


def _wake_supervisor_after_commit() -> None:
    """Let this process's supervisor act as soon as the request's transaction is committed."""
    if not has_request_context():
        return
    from app.sandboxes.supervisor import wake
    from app.web import after_commit

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: wake(app))
