"""What lab pages show of a session: the polled status JSON, each task's state and results,
and the check runs as evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from app.content.labs import Lab
from app.extensions import db
from app.labs import services
from app.labs.models import CheckRun, LabSession, RunStatus, Trigger
from app.labs.values import fill


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
