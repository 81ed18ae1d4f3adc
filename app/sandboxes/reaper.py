"""Supervisor tasks that end sandboxes: expiry, destruction, and reconciling with the engine."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from datetime import timedelta

import docker
from flask import Flask, current_app
from sqlalchemy import or_, select, update

from app.clock import as_utc, utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes.disks import LOOP
from app.sandboxes.models import LIVE, Sandbox, SandboxStatus
from app.sandboxes.runtime import (
    DockerRuntime,
    HostState,
    SandboxUnavailable,
    container_name,
    get_runtime,
)
from app.sandboxes.services import WARNING_MINUTES, ProfileError, deadline, parse_profile
from app.sandboxes.supervisor import in_flight, submit

log = logging.getLogger("academy.sandboxes")

RECONCILE_SECONDS = 5.0
# A start whose progress has not moved for this long belongs to a worker that went away.
STALE_START = timedelta(minutes=3)


def reap_expired(app: Flask) -> None:
    """Expire sandboxes past their idle or hard limit, warn those close to it, destroy expired."""
    settings: Settings = app.config["ACADEMY"]
    now = utcnow()
    owned = db.session.scalars(
        select(Sandbox)
        .where(Sandbox.status.in_([SandboxStatus.READY.value, SandboxStatus.CLAIMED.value]))
        .with_for_update(skip_locked=True)
    )
    for sandbox in owned:
        closes = deadline(sandbox, settings)
        if closes is None:
            continue
        if now >= closes.at:
            sandbox.status = SandboxStatus.EXPIRED.value
            sandbox.warning = None
            sandbox.progress = (
                f"Closed after {settings.sandbox_idle_minutes} minutes without activity"
                if closes.reason == "idle"
                else f"Closed at its time limit of {settings.sandbox_hard_limit_minutes} minutes"
            )
        elif closes.at - now <= timedelta(minutes=WARNING_MINUTES):
            minutes = max(1, round((closes.at - now).total_seconds() / 60))
            why = "without activity" if closes.reason == "idle" else "at its time limit"
            warning = (
                f"This sandbox closes in {minutes} min {why}. Press Extend (or type) to keep it."
            )
            if sandbox.warning != warning:
                sandbox.warning = warning
        elif sandbox.warning:
            sandbox.warning = None
    db.session.commit()
    expired = db.session.scalars(
        select(Sandbox.id).where(Sandbox.status == SandboxStatus.EXPIRED.value)
    )
    for sandbox_id in expired:
        # A start still running here notices the release itself and cleans up after it.
        if not in_flight(sandbox_id):
            submit(destroy_sandbox, sandbox_id)


def destroy_sandbox(sandbox_id: str) -> None:
    """Remove an expired sandbox's containers and mark it destroyed (supervisor job)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        runtime = get_runtime(app, images=[])
    except SandboxUnavailable:
        return  # tried again on the next tick
    runtime.destroy(sandbox_id)
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == sandbox_id, Sandbox.status == SandboxStatus.EXPIRED.value)
        .values(status=SandboxStatus.DESTROYED.value, destroyed_at=utcnow(), warning=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def reconcile_periodically(app: Flask) -> None:
    """Reconcile every few seconds (supervisor task)."""
    last = app.extensions.get("academy.sandbox_reconciled", 0.0)
    if time.monotonic() - last < RECONCILE_SECONDS:
        return
    app.extensions["academy.sandbox_reconciled"] = time.monotonic()
    reconcile(app)


def reset_weights(app: Flask) -> None:
    """Put CPU weights raised by checks of a worker that went away back (once, at start)."""
    try:
        runtime = get_runtime(app, images=[])
    except SandboxUnavailable:
        return
    changed = runtime.reset_weights()
    if changed:
        log.info("cpu weights put back", extra={"fields": {"containers": changed}})


def reconcile(app: Flask) -> dict[str, int]:
    """Make the engine and the database agree; return what was done.

    Containers of this platform without a live row are removed; live rows whose containers
    vanished or stopped are marked failed with the reason (a paused host is resumed, a missing
    or stopped probe started again); starts abandoned by a worker that went away are retried
    (owned) or dropped (pool); networks, volumes and disks nobody uses are released.
    """
    try:
        runtime = get_runtime(app, images=[])
    except SandboxUnavailable:
        return {}
    # The engine first, then the rows: a container seen here was made after its row was
    # committed as starting, so the rows read next cannot be older than it.
    states: dict[str, list[HostState]] = defaultdict(list)
    for state in runtime.host_states():
        states[state.sandbox_id].append(state)
    # Networks, volumes and disk files too, before the rows, for the same reason.
    networks = runtime.network_ids()
    leftovers = runtime.leftover_ids()
    disk_ids = runtime.disks.known_ids()
    rows = {
        s.id: s
        for s in db.session.scalars(
            select(Sandbox).where(
                or_(
                    Sandbox.id.in_(list(states) + list(leftovers | disk_ids)),
                    Sandbox.status.in_([s.value for s in LIVE] + [SandboxStatus.EXPIRED.value]),
                )
            )
        )
    }
    done = {"orphans": 0, "failed": 0, "restarted": 0, "disks": 0, "repaired": 0}
    for sandbox_id in states:
        row = rows.get(sandbox_id)
        if row is None or row.status in (SandboxStatus.DESTROYED.value, SandboxStatus.FAILED.value):
            runtime.destroy(sandbox_id)
            done["orphans"] += 1
    for row in rows.values():
        if row.status in (
            SandboxStatus.WARM.value,
            SandboxStatus.CLAIMED.value,
            SandboxStatus.READY.value,
        ):
            states[row.id] = _resume_paused(runtime, states.get(row.id, []))
            problem = _vanished(row, states.get(row.id, [])) or (
                None
                if row.id in networks
                else "Its network disappeared from the engine (removed outside the platform)."
            )
            if problem and _mark(
                row.id,
                row.status,
                status=SandboxStatus.FAILED.value,
                error=problem,
                progress="Failed",
                warning=None,
                destroyed_at=utcnow(),
            ):
                log.warning("sandbox %s failed: %s", row.id, problem)
                runtime.destroy(row.id)
                done["failed"] += 1
        elif row.status == SandboxStatus.STARTING.value and _stale(row):
            done["restarted"] += _restart_stale(runtime, row)
    live = {r.id for r in rows.values() if r.status in {s.value for s in LIVE}}
    # A start that died between making the network (or a disk volume) and its first host.
    for sandbox_id in leftovers - live - set(states):
        runtime.destroy(sandbox_id)
        done["orphans"] += 1
    for sandbox_id in disk_ids - leftovers - live - set(states):
        runtime.disks.release(sandbox_id)
        done["disks"] += 1
    done["repaired"] += _restore_probes(runtime, rows, states)
    db.session.commit()
    return done


def _resume_paused(runtime: DockerRuntime, states: list[HostState]) -> list[HostState]:
    """Resume hosts someone paused on the engine (the platform never pauses them)."""
    resumed = []
    for state in states:
        if not state.running and "(Paused)" in state.status:
            log.warning(
                "host %s of sandbox %s was paused; resuming it", state.host, state.sandbox_id
            )
            try:
                runtime.api.unpause(container_name(state.sandbox_id, state.host))
                state = dataclasses.replace(state, running=True, status="Up (resumed)")
            except docker.errors.APIError as error:
                log.warning("could not resume %s: %s", state.host, error)
        resumed.append(state)
    return resumed


def _restore_probes(
    runtime: DockerRuntime, rows: dict[str, Sandbox], states: dict[str, list[HostState]]
) -> int:
    """Start again the probes of ready sandboxes' running hosts that lost theirs."""
    if runtime.disks.mode != LOOP:
        return 0
    probes = runtime.probe_states()
    restored = 0
    for row in rows.values():
        if row.status not in (
            SandboxStatus.WARM.value,
            SandboxStatus.CLAIMED.value,
            SandboxStatus.READY.value,
        ):
            continue
        for state in states.get(row.id, []):
            if state.running and not probes.get((row.id, state.host)):
                restored += int(runtime.restore_probe(row.id, state.host))
    return restored


def _vanished(row: Sandbox, states: list[HostState]) -> str | None:
    """Return why a live sandbox is broken on the engine, or None when all its hosts run."""
    try:
        expected = [h.name for h in parse_profile(row.profile)]
    except ProfileError:
        expected = []
    if not states:
        return "Its containers disappeared from the Docker engine (removed outside the platform)."
    by_host = {s.host: s for s in states}
    for host in expected:
        state = by_host.get(host)
        if state is None:
            return f"Its host {host} disappeared from the engine (removed outside the platform)."
        if not state.running:
            return f"Its host {host} stopped outside the platform ({state.status})."
    return None


def _stale(row: Sandbox) -> bool:
    if in_flight(row.id):
        return False
    heartbeat = row.last_activity_at or row.created_at
    return utcnow() - as_utc(heartbeat) > STALE_START


def _restart_stale(runtime: DockerRuntime, row: Sandbox) -> int:
    runtime.destroy(row.id)
    if row.owner_id is not None:
        return int(
            _mark(
                row.id,
                SandboxStatus.STARTING.value,
                status=SandboxStatus.REQUESTED.value,
                progress="Starting again after an interruption",
                progress_percent=2,
                last_activity_at=utcnow(),
            )
        )
    _mark(
        row.id,
        SandboxStatus.STARTING.value,
        status=SandboxStatus.FAILED.value,
        error="Its start was interrupted (the worker stopped).",
        destroyed_at=utcnow(),
    )
    return 0


def _mark(sandbox_id: str, expected: str, **values: object) -> bool:
    result = db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == sandbox_id, Sandbox.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
