"""Supervisor tasks that give people sandboxes: fulfil requests, keep a warm pool, start hosts."""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, text, update

from app.clock import as_utc, utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes.capacity import Capacity, measure
from app.sandboxes.engine import lab_images
from app.sandboxes.firewall import firewall_for
from app.sandboxes.models import LIVE, POOL_PURPOSE, Sandbox, SandboxStatus
from app.sandboxes.runtime import BUILD_HINT, Limits, SandboxUnavailable, get_runtime
from app.sandboxes.services import DEFAULT_PROFILE, ProfileError, parse_profile
from app.sandboxes.supervisor import BACKGROUND, START, submit

log = logging.getLogger("academy.sandboxes")

# A loaded machine (many boots at once, other work) can take minutes to boot a sandbox.
READY_TIMEOUT = 180.0
# How long a request may wait for an unreachable engine before it is failed with the reason.
REQUEST_PATIENCE = timedelta(minutes=5)
# Profiles kept warm besides the default one and those requested lately: labs append
# "module:function" names; each function takes the app and returns profile keys.
PROFILE_SOURCES: list[str] = []
RECENT = timedelta(days=7)
# Pool sandboxes booting at once: each boot takes most of a core for a few seconds, and the
# capacity checks see the memory and disk of the ones already running before the next start.
POOL_STARTS_AT_ONCE = 3
# After a failed start, a profile's pool waits BACKOFF_FIRST, doubling per failure in a row up to
# BACKOFF_MAX, instead of retrying on every tick.
BACKOFF_FIRST = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=10)
BACKOFF_WINDOW = timedelta(hours=6)
# The purpose of a sandbox a lab is prepared in before anyone claims it (app/labs/warm.py). Once
# up it is marked `ready` with no owner, never `warm`: a plain request must not take a sandbox a
# lab's setup has run in, and the lab module hands it over with the values it was set up with.
PREPARED_PURPOSE_PREFIX = "prepared:"
# How long an unclaimed prepared sandbox may stay ready before the reaper closes it at the latest
# (the lab module retires it earlier, after ACADEMY_LAB_PREPARED_MINUTES).
PREPARED_GRACE = timedelta(minutes=5)


# -- capacity ---------------------------------------------------------------------------------


def capacity(app: Flask, settings: Settings) -> Capacity:
    """Return the machine's capacity with the hosts live sandboxes hold (see capacity.py)."""
    return measure(app, settings, hosts_in_use())


def host_capacity(settings: Settings) -> int:
    """Return how many hosts may run at once (memory, CPU, disk and networks together)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return capacity(app, settings).hosts


@dataclass(frozen=True)
class Backoff:
    """A profile's recent failed starts in a row, and when the pool may try it again."""

    failures: int
    retry_at: datetime
    error: str

    def waiting(self, now: datetime) -> bool:
        """Tell whether the pool must still wait."""
        return now < self.retry_at


def start_backoff(profile: str, now: datetime) -> Backoff | None:
    """Return the profile's run of failed starts (newest first, until one that became ready)."""
    rows = db.session.execute(
        select(Sandbox.status, Sandbox.ready_at, Sandbox.error, Sandbox.destroyed_at)
        .where(
            Sandbox.profile == profile,
            Sandbox.created_at >= now - BACKOFF_WINDOW,
            Sandbox.status.notin_([SandboxStatus.REQUESTED.value, SandboxStatus.STARTING.value]),
        )
        .order_by(Sandbox.created_at.desc())
        .limit(12)
    ).all()
    failures, last_at, error = 0, None, ""
    for status, ready_at, row_error, destroyed_at in rows:
        if ready_at is not None:
            break
        if status == SandboxStatus.FAILED.value:
            failures += 1
            if last_at is None:
                last_at, error = destroyed_at or now, row_error or "unknown error"
    if not failures or last_at is None:
        return None
    delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1))
    return Backoff(failures, as_utc(last_at) + delay, error)


def hosts_in_use() -> int:
    """Return how many hosts live sandboxes hold (or are starting)."""
    rows = db.session.execute(
        select(Sandbox.profile, func.count())
        .where(Sandbox.status.in_([s.value for s in LIVE]))
        .group_by(Sandbox.profile)
    )
    return sum(_host_count(profile) * count for profile, count in rows)


def _host_count(profile: str) -> int:
    try:
        return len(parse_profile(profile))
    except ProfileError:
        return 1


def pool_profiles(app: Flask) -> list[str]:
    """Return the profiles to keep warm: the default, the labs', and any requested lately."""
    settings: Settings = app.config["ACADEMY"]
    wanted: list[str] = []
    if parse_profile(DEFAULT_PROFILE)[0].image in lab_images(settings):
        wanted.append(DEFAULT_PROFILE)
    for dotted in PROFILE_SOURCES:
        module_name, _, function = dotted.partition(":")
        try:
            wanted.extend(getattr(importlib.import_module(module_name), function)(app))
        except Exception:
            log.exception("pool profile source %s failed", dotted)
    recent = select(Sandbox.profile).where(
        Sandbox.purpose != POOL_PURPOSE, Sandbox.created_at >= utcnow() - RECENT
    )
    wanted.extend(db.session.scalars(recent.distinct()))
    return list(dict.fromkeys(wanted))


# -- tasks ------------------------------------------------------------------------------------


def fulfil_requests(app: Flask) -> None:
    """Turn claimed sandboxes ready and start requested ones (supervisor task)."""
    settings: Settings = app.config["ACADEMY"]
    _finish_claims(app, settings)
    _start_requested(app, settings)


def _finish_claims(app: Flask, settings: Settings) -> None:
    claimed = db.session.scalars(
        select(Sandbox)
        .where(Sandbox.status == SandboxStatus.CLAIMED.value)
        .with_for_update(skip_locked=True)
    ).all()
    if not claimed:
        return
    try:
        runtime = get_runtime(app, images=[])
    except SandboxUnavailable as problem:
        for sandbox in claimed:
            sandbox.progress = problem.reason
        db.session.commit()
        return
    restart = []
    now = utcnow()
    for sandbox in claimed:
        if runtime.alive(sandbox.id):
            sandbox.status = SandboxStatus.READY.value
            sandbox.ready_at = now
            sandbox.last_activity_at = now
            sandbox.expires_at = now + timedelta(minutes=settings.sandbox_hard_limit_minutes)
            sandbox.progress, sandbox.progress_percent = "Ready", 100
        else:
            # It died in the pool: start one from nothing under the same id.
            sandbox.status = SandboxStatus.STARTING.value
            sandbox.progress, sandbox.progress_percent = (
                "The warm server had stopped; starting a fresh one",
                10,
            )
            restart.append(sandbox.id)
    db.session.commit()
    for sandbox_id in restart:
        submit(start_sandbox, sandbox_id, priority=START)


def _start_requested(app: Flask, settings: Settings) -> None:
    requested = db.session.scalars(
        select(Sandbox)
        .where(Sandbox.status == SandboxStatus.REQUESTED.value)
        .order_by(Sandbox.created_at)
        .with_for_update(skip_locked=True)
    ).all()
    if not requested:
        return
    room = capacity(app, settings)
    free = room.hosts - room.in_use
    isolation = firewall_for(settings).problem()
    starting = []
    now = utcnow()
    for sandbox in requested:
        try:
            hosts = parse_profile(sandbox.profile)
            get_runtime(app, images=[h.image for h in hosts])
            if isolation:
                raise SandboxUnavailable(isolation)
        except ProfileError as error:
            _mark_failed(sandbox, str(error))
            continue
        except SandboxUnavailable as problem:
            if BUILD_HINT in problem.reason or now - as_utc(sandbox.created_at) > REQUEST_PATIENCE:
                _mark_failed(sandbox, problem.reason)
            else:
                sandbox.progress = f"Waiting: {problem.reason}"
            continue
        if room.refusal:
            sandbox.progress = f"Waiting for room: {room.refusal}"
            continue
        if len(hosts) > free:
            free += _evict_warm(len(hosts) - free, keep=sandbox.profile)
        if len(hosts) > free:
            sandbox.progress = (
                "Waiting for room: every sandbox slot on this machine is in use; "
                "yours starts as soon as one is released"
            )
            continue
        free -= len(hosts)
        sandbox.status = SandboxStatus.STARTING.value
        sandbox.progress = "Starting a fresh server (no warm one was free)"
        sandbox.progress_percent = 5
        sandbox.last_activity_at = now
        starting.append(sandbox.id)
    db.session.commit()
    for sandbox_id in starting:
        submit(start_sandbox, sandbox_id, priority=START)


def _evict_warm(hosts_needed: int, keep: str) -> int:
    """Retire warm sandboxes of other profiles, then prepared lab sandboxes nobody claimed yet,
    to make room; return the hosts freed."""
    freed = 0
    others = db.session.scalars(
        select(Sandbox)
        .where(Sandbox.status == SandboxStatus.WARM.value, Sandbox.profile != keep)
        .order_by(Sandbox.ready_at)
        .with_for_update(skip_locked=True)
    ).all()
    # A prepared one cannot serve a plain request whatever its profile; the oldest go first.
    prepared = db.session.scalars(
        select(Sandbox)
        .where(
            Sandbox.status == SandboxStatus.READY.value,
            Sandbox.owner_id.is_(None),
            Sandbox.purpose.startswith(PREPARED_PURPOSE_PREFIX),
        )
        .order_by(Sandbox.ready_at)
        .with_for_update(skip_locked=True)
    ).all()
    for sandbox in [*others, *prepared]:
        if freed >= hosts_needed:
            break
        sandbox.status = SandboxStatus.EXPIRED.value
        sandbox.progress = "Retired from the pool to make room for a trainee"
        freed += _host_count(sandbox.profile)
    return freed


def fill_pool(app: Flask) -> None:
    """Start pool sandboxes until each wanted profile has the configured number warm."""
    settings: Settings = app.config["ACADEMY"]
    if settings.sandbox_pool_size <= 0:
        return
    try:
        get_runtime(app)
    except SandboxUnavailable:
        return
    if not _pool_lock():
        return
    waiting = db.session.scalar(
        select(func.count()).where(Sandbox.status == SandboxStatus.REQUESTED.value)
    )
    if waiting:
        return  # trainees first: the pool refills once their requests are under way
    pooled = dict(
        db.session.execute(
            select(Sandbox.profile, func.count())
            .where(
                Sandbox.owner_id.is_(None),
                Sandbox.purpose == POOL_PURPOSE,
                Sandbox.status.in_([SandboxStatus.STARTING.value, SandboxStatus.WARM.value]),
            )
            .group_by(Sandbox.profile)
        ).all()
    )
    room = capacity(app, settings)
    if room.refusal:
        return
    free = room.hosts - room.in_use
    booting = db.session.scalar(
        select(func.count()).where(
            Sandbox.owner_id.is_(None), Sandbox.status == SandboxStatus.STARTING.value
        )
    )
    slots = POOL_STARTS_AT_ONCE - int(booting or 0)
    now = utcnow()
    made = []
    for profile in pool_profiles(app):
        try:
            size = len(parse_profile(profile))
        except ProfileError:
            continue
        backoff = start_backoff(profile, now)
        if backoff is not None and backoff.waiting(now):
            continue  # shown on the admin page; tried again at retry_at
        for _ in range(settings.sandbox_pool_size - int(pooled.get(profile, 0))):
            if size > free or slots <= 0:
                break
            free -= size
            slots -= 1
            sandbox = Sandbox(
                profile=profile,
                status=SandboxStatus.STARTING.value,
                purpose=POOL_PURPOSE,
                progress="Warming up for the pool",
                progress_percent=5,
                last_activity_at=utcnow(),
            )
            db.session.add(sandbox)
            db.session.flush()
            made.append(sandbox.id)
    db.session.commit()
    for sandbox_id in made:
        submit(start_sandbox, sandbox_id, priority=BACKGROUND)


def _pool_lock() -> bool:
    """Let one worker at a time fill the pool (a transaction-scoped PostgreSQL advisory lock)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(20261126)")))


# -- the start job ----------------------------------------------------------------------------


def start_sandbox(sandbox_id: str) -> None:
    """Create a sandbox's hosts, wait for their readiness probes, and mark it warm or ready.

    Runs on the supervisor's job pool; every progress step is committed so the page shows it.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings: Settings = app.config["ACADEMY"]
    sandbox = db.session.get(Sandbox, sandbox_id)
    if sandbox is None or sandbox.status != SandboxStatus.STARTING.value:
        return
    hosts = parse_profile(sandbox.profile)
    owned = sandbox.owner_id is not None
    prepared = sandbox.purpose.startswith(PREPARED_PURPOSE_PREFIX)
    db.session.commit()
    try:
        runtime = get_runtime(app, images=[h.image for h in hosts])
    except SandboxUnavailable as problem:
        _fail(sandbox_id, problem.reason)
        return
    steps = iter(range(20, 40, max(1, 20 // len(hosts))))
    percent = 45

    def probing(host: str, what: str) -> None:
        nonlocal percent
        percent = min(90, percent + 5)
        _progress(sandbox_id, f"Booting {host}: waiting for {what}", percent)

    started = time.monotonic()
    try:
        _progress(
            sandbox_id,
            "Creating a private network and disks",
            10,
            engine=runtime.url,
            disk=runtime.disks.mode,
        )
        runtime.destroy(sandbox_id)  # leftovers of an earlier attempt under this id
        runtime.create(
            sandbox_id,
            hosts,
            Limits.from_settings(settings),
            settings.sandbox_allow_outbound,
            on_progress=lambda what: _progress(sandbox_id, what, next(steps, 40)),
        )
        _progress(sandbox_id, "Booting: PostgreSQL, Redis, the API and Nginx", 45)
        ready = runtime.wait_ready(sandbox_id, READY_TIMEOUT, on_progress=probing)
    except StartCancelled:
        runtime.destroy(sandbox_id)
        _transition(
            sandbox_id,
            SandboxStatus.EXPIRED,
            status=SandboxStatus.DESTROYED.value,
            destroyed_at=utcnow(),
        )
        return
    except Exception as error:
        log.exception("starting sandbox %s failed", sandbox_id)
        _fail(sandbox_id, f"The sandbox could not be started: {error}")
        runtime.destroy(sandbox_id)
        return
    if not ready:
        runtime.destroy(sandbox_id)
        _fail(sandbox_id, f"The sandbox did not become ready within {READY_TIMEOUT:.0f} s.")
        return
    log.info("sandbox %s ready in %.1f s", sandbox_id, time.monotonic() - started)
    now = utcnow()
    values: dict[str, object] = {"ready_at": now, "progress_percent": 100, "warning": None}
    if owned:
        values |= {
            "status": SandboxStatus.READY.value,
            "progress": "Ready",
            "claimed_at": now,
            "last_activity_at": now,
            "expires_at": now + timedelta(minutes=settings.sandbox_hard_limit_minutes),
        }
    elif prepared:
        # Up, with no owner: the lab module runs the lab's setup in it next (see the constant).
        values |= {
            "status": SandboxStatus.READY.value,
            "progress": "Prepared: the lab's setup runs next",
            "last_activity_at": now,
            "expires_at": now + timedelta(minutes=settings.lab_prepared_minutes) + PREPARED_GRACE,
        }
    else:
        values |= {"status": SandboxStatus.WARM.value, "progress": "Warm: waiting to be claimed"}
    if not _transition(sandbox_id, SandboxStatus.STARTING, **values):
        # Released (or reaped) while it was starting.
        runtime.destroy(sandbox_id)
        _transition(
            sandbox_id,
            SandboxStatus.EXPIRED,
            status=SandboxStatus.DESTROYED.value,
            destroyed_at=utcnow(),
        )


def _transition(sandbox_id: str, expected: SandboxStatus, **values: object) -> bool:
    """Update the row only if it is still in the expected state; commit; tell if it was."""
    result = db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == sandbox_id, Sandbox.status == expected.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


class StartCancelled(Exception):
    """The sandbox was released (or reaped) while it was starting."""


def _progress(sandbox_id: str, message: str, percent: int, **extra: object) -> None:
    """Show a start-up step; stop the start when the row is no longer starting."""
    # last_activity_at doubles as a heartbeat while starting: reconcile restarts stale starts.
    if not _transition(
        sandbox_id,
        SandboxStatus.STARTING,
        progress=message[:300],
        progress_percent=percent,
        last_activity_at=utcnow(),
        **extra,
    ):
        raise StartCancelled(sandbox_id)


def _fail(sandbox_id: str, reason: str) -> None:
    for state in (SandboxStatus.STARTING, SandboxStatus.REQUESTED):
        if _transition(
            sandbox_id,
            state,
            status=SandboxStatus.FAILED.value,
            error=reason,
            progress="Failed",
            destroyed_at=utcnow(),
        ):
            return


def _mark_failed(sandbox: Sandbox, reason: str) -> None:
    sandbox.status = SandboxStatus.FAILED.value
    sandbox.error = reason
    sandbox.progress = "Failed"
    sandbox.destroyed_at = utcnow()
