"""Where the time went, from the server's own records of the bench's trainees.

A Check press waits in the queue (requested → picked up by a worker job) and then runs
(picked up → done); a lab start waits for its sandbox (Start → sandbox ready) and then for the
lab's setup (sandbox ready → session active). The rows say which part grew under load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.clock import as_utc
from app.extensions import db
from app.loadbench.stats import percentile


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (as_utc(end) - as_utc(start)).total_seconds()


def _spread(values: list[float], scale: float, digits: int) -> dict[str, Any]:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return {
        "count": len(values),
        "p50": None if p50 is None else round(p50 * scale, digits),
        "p95": None if p95 is None else round(p95 * scale, digits),
        "max": round(max(values) * scale, digits) if values else None,
    }


def check_runs(user_ids: list[int], since: datetime, until: datetime) -> dict[str, Any]:
    """Return queue and run times (ms) of the trainees' check runs requested in the window."""
    from app.labs.models import CheckRun, LabSession

    rows = db.session.execute(
        select(CheckRun.trigger, CheckRun.requested_at, CheckRun.started_at, CheckRun.finished_at)
        .join(LabSession, LabSession.id == CheckRun.session_id)
        .where(
            LabSession.user_id.in_(user_ids),
            CheckRun.requested_at >= since,
            CheckRun.requested_at <= until,
        )
    ).all()
    figures: dict[str, Any] = {}
    for trigger in sorted({row.trigger for row in rows}):
        mine = [row for row in rows if row.trigger == trigger]
        queued = [s for r in mine if (s := _seconds(r.requested_at, r.started_at)) is not None]
        ran = [s for r in mine if (s := _seconds(r.started_at, r.finished_at)) is not None]
        figures[trigger] = {
            "runs": len(mine),
            "unfinished": sum(1 for r in mine if r.finished_at is None),
            "queued_ms": _spread(queued, 1000, 0),
            "running_ms": _spread(ran, 1000, 0),
        }
    return figures


def starts(session_ids: list[int]) -> dict[str, Any]:
    """Return how the timed starts split into waiting for a sandbox and the lab's setup (s)."""
    from app.labs.models import LabSession
    from app.sandboxes.models import Sandbox

    rows = db.session.execute(
        select(
            LabSession.started_at,
            LabSession.ready_at,
            Sandbox.created_at,
            Sandbox.ready_at.label("sandbox_ready_at"),
        )
        .join(Sandbox, Sandbox.id == LabSession.sandbox_id, isouter=True)
        .where(LabSession.id.in_(session_ids))
    ).all()
    waited, setup, warm = [], [], 0
    for row in rows:
        if row.created_at is not None and as_utc(row.created_at) < as_utc(row.started_at):
            warm += 1  # made by the pool before the Start press: a warm one was claimed
        ready = row.sandbox_ready_at
        if ready is not None and as_utc(ready) < as_utc(row.started_at):
            ready = row.started_at
        if (s := _seconds(row.started_at, ready)) is not None:
            waited.append(s)
        if (s := _seconds(ready, row.ready_at)) is not None:
            setup.append(s)
    return {
        "sessions": len(rows),
        "from_warm_pool": warm,
        "waiting_for_sandbox_s": _spread(waited, 1, 2),
        "setup_s": _spread(setup, 1, 2),
    }


def server_side(
    user_ids: list[int], timed_sessions: list[int], since: datetime, until: datetime
) -> dict[str, Any]:
    """Return the server-side split of Check presses and timed starts; reads only."""
    db.session.expire_all()
    figures = {
        "check_runs": check_runs(user_ids, since, until),
        "timed_starts": starts(timed_sessions),
    }
    db.session.commit()
    return figures
