"""What lab pages show of a session: the polled status JSON, each task's state and results,
and the check runs as evidence."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from app.content.labs import Lab
from app.extensions import db
from app.labs import services
from app.labs.models import CheckRun, LabSession, RunStatus, Trigger
from app.labs.values import fill

# The lab page's poll while a run is pending may wait for it here (`?wait=1`), so the result
# shows as soon as it is stored rather than at the page's next poll (up to half a second later,
# plus that request). A waiting request holds a web thread, so each process lets only
# RUN_WAITERS wait at once; the others answer at once, and the page polls as before.
RUN_WAIT_SECONDS = 3.0
RUN_WAIT_STEP = 0.05
RUN_WAITERS = 6
_waiters = threading.BoundedSemaphore(RUN_WAITERS)


def wait_for_a_run(session_id: int, seconds: float = RUN_WAIT_SECONDS) -> bool:
    """Wait until one of the session's pending check runs is done; False if none ended.

    Returns at once when nothing is pending or RUN_WAITERS requests already wait. Each look is
    one small query by primary key, in its own transaction, so every commit is seen.
    """
    pending = _pending_ids(session_id)
    if not pending or not _waiters.acquire(blocking=False):
        return False
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(RUN_WAIT_STEP)
            done = db.session.scalar(
                select(CheckRun.id)
                .where(CheckRun.id.in_(pending), CheckRun.status == RunStatus.DONE.value)
                .limit(1)
            )
            db.session.commit()  # end the read: the next look sees newer commits
            if done is not None:
                return True
        return False
    finally:
        _waiters.release()


def _pending_ids(session_id: int) -> list[int]:
    ids = list(
        db.session.scalars(
            select(CheckRun.id).where(
                CheckRun.session_id == session_id, CheckRun.status != RunStatus.DONE.value
            )
        )
    )
    db.session.commit()
    return ids


def session_status(session: LabSession, lab: Lab, sandbox: Any = None) -> dict[str, Any]:
    """Return the session's state as JSON-ready values."""
    if sandbox is None and session.sandbox_id:
        from app.sandboxes.services import sandbox_for

        sandbox = sandbox_for(session.sandbox_id)
    runs = recent_runs(session.id)
    pending = [r for r in runs if r.status != RunStatus.DONE.value]
    last = next((r for r in runs if r.status == RunStatus.DONE.value), None)
    left = services.time_left(session)
    return {
        "id": session.id,
        "lab": lab.id,
        "status": session.status,
        "open": session.is_open,
        "progress": session.progress,
        "percent": session.progress_percent,
        "busy": session.busy,
        "error": session.error,
        "seconds_left": int(left.total_seconds()),
        "expires_at": session.expires_at.isoformat(),
        "warning": services.needs_warning(session),
        "sandbox_warning": getattr(sandbox, "warning", None),
        "completed": session.completed_at is not None,
        "continuous": lab.continuous,
        "pending_runs": [r.id for r in pending],
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "outcome": last.outcome,
            "trigger": last.trigger,
            "seconds": last.seconds,
        },
        "tasks": [asdict(view) for view in task_views(lab, session, runs)],
    }


def visible_hints(lab: Lab, session: LabSession) -> dict[str, list[str]]:
    """Return, per task, the hints revealed so far (one more after each failed Check press)."""
    rows = {r.task_id: r for r in session.task_results}
    revealed: dict[str, list[str]] = {}
    for task in lab.tasks:
        row = rows.get(task.id)
        count = row.failed_checks if row else 0
        revealed[task.id] = list(task.hints[: min(count, len(task.hints))])
    return revealed


def recent_runs(session_id: int, limit: int = 25) -> list[CheckRun]:
    """Return a session's newest check runs, newest first."""
    return list(
        db.session.scalars(
            select(CheckRun)
            .where(CheckRun.session_id == session_id)
            .order_by(CheckRun.id.desc())
            .limit(limit)
        )
    )


def latest_results(runs: list[CheckRun]) -> dict[str, dict[str, Any]]:
    """Return the newest result of each check among runs (newest first), keyed by check id."""
    latest: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run.status != RunStatus.DONE.value:
            continue
        for result in run.results:
            latest.setdefault(result["check_id"], {**result, "run_id": run.id})
    return latest


@dataclass(frozen=True)
class TaskView:
    """What the lab page shows about one task."""

    id: str
    title: str
    passed: bool
    hints: list[str]
    checks: list[dict[str, Any]]


def task_views(lab: Lab, session: LabSession, runs: list[CheckRun] | None = None) -> list[TaskView]:
    """Return each task's state, revealed hints and the latest result of each of its checks."""
    passed = session.passed_task_ids()
    latest = latest_results(recent_runs(session.id) if runs is None else runs)
    hints = visible_hints(lab, session)
    views = []
    for task in lab.tasks:
        checks = []
        for check in task.checks:
            result = latest.get(check.id)
            checks.append(
                {
                    "id": check.id,
                    "title": check.title,
                    "kind": check.kind,
                    "question": fill(check.question, session.values, str(session.id), check.host),
                    "answer": (session.answers or {}).get(check.id, ""),
                    "tries_left": max(
                        0, check.max_tries - int((session.answer_tries or {}).get(check.id, 0))
                    ),
                    "outcome": result["outcome"] if result else None,
                    "message": result.get("message", "") if result else "",
                    "hints": result.get("hints", []) if result else [],
                }
            )
        views.append(TaskView(task.id, task.title, task.id in passed, hints[task.id], checks))
    return views


@dataclass(frozen=True)
class EvidenceRow:
    """A check run as the evidence page lists it, with identical automatic runs folded in."""

    run: CheckRun
    repeats: int


def evidence_rows(runs: list[CheckRun]) -> list[EvidenceRow]:
    """Fold runs of continuous checking that found nothing new into the newest of them."""

    def signature(run: CheckRun) -> tuple[Any, ...]:
        return (run.trigger, run.task_id, tuple((r["check_id"], r["outcome"]) for r in run.results))

    rows: list[EvidenceRow] = []
    for run in runs:  # newest first
        previous = rows[-1] if rows else None
        if (
            previous is not None
            and run.trigger == Trigger.AUTO.value
            and signature(previous.run) == signature(run)
        ):
            rows[-1] = EvidenceRow(previous.run, previous.repeats + 1)
        else:
            rows.append(EvidenceRow(run, 0))
    return rows
