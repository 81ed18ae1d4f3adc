"""Lab sessions and check runs: start, check, reset, extend, finish, and the evidence queries.

Services take explicit arguments and flush; the request (or the supervisor job) commits.
Anything that runs commands in a sandbox happens in app.labs.jobs, never here in a request.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from app.clock import as_utc, utcnow
from app.content.labs import Host, Lab
from app.extensions import db
from app.labs.checks import CheckResult
from app.labs.models import (
    OPEN_STATUSES,
    CheckRun,
    LabSession,
    RunStatus,
    SessionStatus,
    TaskResult,
    Trigger,
)
from app.labs.values import draw_values, new_seed

EXTEND_MINUTES = 15
# How far past its own limit a session may be extended.
MAX_EXTENSION_FACTOR = 2
WARNING_MINUTES = 10
# The status poll comes every second; it records that the page is open at most this often.
SEEN_EVERY = timedelta(seconds=30)
# Check and answer presses are counted over this window (the limit is a setting).
PRESS_WINDOW = timedelta(minutes=1)
# Continuous checking queues at most one run this often, whatever the page sends.
AUTO_SPACING = timedelta(seconds=3)


class LabError(ValueError):
    """A lab action was refused; the message is safe to show to the trainee."""


class QuotaExceeded(LabError):
    """The trainee already holds as many sandboxes as one person may."""


class TooManyPresses(LabError):
    """Checks were asked for too often; retry_after says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def host_specs(lab: Lab) -> list[Any]:
    """Return the lab's hosts as the sandbox runtime's HostSpec objects."""
    from app.sandboxes.runtime import HostSpec

    return [
        HostSpec(name=h.name, image=h.image, hostname=h.hostname, net_admin=h.net_admin)
        for h in lab.hosts
    ]


def terminal_host(lab: Lab) -> Host:
    """Return the host the trainee's terminal opens on (the first one)."""
    return lab.hosts[0]


def open_session(user_id: int, slug: str) -> LabSession | None:
    """Return the user's unfinished session of a lab, if any."""
    return db.session.scalar(
        select(LabSession)
        .where(LabSession.user_id == user_id, LabSession.lab_slug == slug)
        .where(LabSession.status.in_(OPEN_STATUSES))
        .order_by(LabSession.id.desc())
        .limit(1)
    )


def lock_user(user_id: int) -> None:
    """Lock the user's row until commit, so one person's starts run one after another."""
    from app.auth.models import User

    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def sandboxes_held(user_id: int) -> int:
    """Count the sandboxes a person holds or waits for, less those of labs already ended."""
    from app.sandboxes.models import PENDING, Sandbox, SandboxStatus

    ended = exists().where(
        LabSession.sandbox_id == Sandbox.id, LabSession.status.notin_(OPEN_STATUSES)
    )
    live = [s.value for s in PENDING] + [SandboxStatus.READY.value]
    return int(
        db.session.scalar(
            select(func.count(Sandbox.id)).where(
                Sandbox.owner_id == user_id, Sandbox.status.in_(live), ~ended
            )
        )
        or 0
    )


def start_session(
    user_id: int, lab: Lab, content_version: str, *, sandbox_quota: int | None = None
) -> LabSession:
    """Open a session of a lab (or return the open one) and ask for its sandbox.

    The user's row is locked first, so one person's starts run one after another and the
    sandbox quota holds. The partial unique index `uq_lab_sessions_open` is the last word: a
    start that loses a race to open the same lab raises IntegrityError, with its savepoint
    (sandbox request included) rolled back, and the caller turns to the session that won.
    """
    from app.labs import warm
    from app.sandboxes import services as sandboxes

    lock_user(user_id)
    current = open_session(user_id, lab.id)
    if current is not None:
        return current
    if lab.is_exam:
        from app.labs.exam import start_refusal

        refusal = start_refusal(user_id, lab)
        if refusal:
            raise LabError(refusal)
    if sandbox_quota is not None and sandboxes_held(user_id) >= sandbox_quota:
        raise QuotaExceeded(
            f"You already have {sandbox_quota} lab sandbox{'es' if sandbox_quota > 1 else ''} "
            f"running, the most one person may hold at once. Finish one of your open labs "
            "(listed under Labs) before starting another."
        )
    seed = new_seed()
    now = utcnow()
    session = LabSession(
        user_id=user_id,
        lab_slug=lab.id,
        seed=seed,
        values=draw_values(lab.values, seed),
        answers={},
        status=SessionStatus.STARTING.value,
        content_version=content_version,
        progress="Waiting for a sandbox",
        progress_percent=0,
        started_at=now,
        expires_at=now + timedelta(minutes=lab.time_limit_minutes),
    )
    # The caller has checked the engine (unavailable_reason); a request made while it is down
    # waits, with the reason as its progress, and the session fails if it never comes back.
    with db.session.begin_nested():
        # A sandbox with the lab already set up, when one is prepared (app/labs/warm.py): its
        # values become the session's and the session is active at once.
        if not warm.hand_over(session, lab, user_id, now):
            sandbox = sandboxes.request_sandbox(
                sandboxes.profile_key(host_specs(lab)), owner_id=user_id, purpose=f"lab:{lab.id}"
            )
            session.sandbox_id = sandbox.id
        db.session.add(session)
        db.session.flush()
    return session


def session_by_id(session_id: int) -> LabSession | None:
    """Return a session with its task results."""
    return db.session.get(LabSession, session_id)


def sessions_of(user_id: int) -> list[LabSession]:
    """Return a user's lab sessions, newest first."""
    return list(
        db.session.scalars(
            select(LabSession)
            .where(LabSession.user_id == user_id)
            .options(selectinload(LabSession.task_results))
            .order_by(LabSession.id.desc())
        )
    )


def _pending_run(session_id: int, statuses: tuple[str, ...]) -> CheckRun | None:
    return db.session.scalar(
        select(CheckRun)
        .where(CheckRun.session_id == session_id, CheckRun.status.in_(statuses))
        .order_by(CheckRun.id.desc())
        .limit(1)
    )


def request_check(
    session: LabSession,
    lab: Lab,
    *,
    user_id: int | None,
    trigger: Trigger,
    task_id: str | None = None,
) -> CheckRun | None:
    """Queue a check run; continuous checking keeps at most one pending run per session."""
    if session.status != SessionStatus.ACTIVE.value:
        raise LabError("Checks run once the lab is ready and until it ends.")
    if lab.is_exam and utcnow() >= as_utc(session.expires_at):
        raise LabError("The exam's time is up: checks no longer count.")
    if task_id is not None and lab.task(task_id) is None:
        raise LabError("There is no such task in this lab.")
    open_tasks = [t.id for t in lab.tasks if t.id not in session.passed_task_ids()]
    if not open_tasks or (task_id is not None and task_id not in open_tasks):
        return None
    if trigger == Trigger.AUTO:
        pending = _pending_run(session.id, (RunStatus.QUEUED.value, RunStatus.RUNNING.value))
        if pending is not None:
            return pending
    else:
        queued = _pending_run(session.id, (RunStatus.QUEUED.value,))
        if queued is not None:
            if queued.trigger == Trigger.AUTO.value:
                # The press takes the waiting automatic run over with its own task only: it
                # runs as a press (first, and at a press's priority) and waits no longer than
                # one, and the other open tasks are left to the next automatic run.
                queued.task_id = task_id
                queued.requested_at = utcnow()
            elif queued.task_id not in (None, task_id):
                # Two presses for different tasks before either ran: one run covers both.
                queued.task_id = None
            queued.trigger = trigger.value
            queued.user_id = user_id
            db.session.flush()
            return queued
    run = CheckRun(
        session_id=session.id,
        user_id=user_id,
        task_id=task_id,
        trigger=trigger.value,
        status=RunStatus.QUEUED.value,
        content_version=session.content_version,
        requested_at=utcnow(),
        results=[],
    )
    db.session.add(run)
    db.session.flush()
    return run


def record_answer(session: LabSession, lab: Lab, check_id: str, answer: str) -> None:
    """Store what the trainee typed for an answer check."""
    check = next((c for c in lab.checks if c.id == check_id and c.kind == "answer"), None)
    if check is None:
        raise LabError("There is no such question in this lab.")
    if session.status != SessionStatus.ACTIVE.value:
        raise LabError("Answers can be given while the lab is running.")
    if lab.is_exam and utcnow() >= as_utc(session.expires_at):
        raise LabError("The exam's time is up: answers no longer count.")
    if check.task_id in session.passed_task_ids():
        raise LabError("This task has passed already.")
    used = tries_used(session, check_id)
    if used >= check.max_tries:
        raise LabError("No tries are left for this question in this session.")
    session.answer_tries = {**(session.answer_tries or {}), check_id: used + 1}
    session.answers = {**(session.answers or {}), check_id: answer.strip()[:500]}
    db.session.flush()


def tries_used(session: LabSession, check_id: str) -> int:
    """Return how many answers the trainee has submitted to an answer check."""
    return int((session.answer_tries or {}).get(check_id, 0))


def record_results(run: CheckRun, lab: Lab, results: list[CheckResult]) -> list[str]:
    """Store a finished run's results and mark the tasks whose checks all passed; return them."""
    session = run.session
    now = utcnow()
    run.results = [r.to_json() for r in results]
    # An exam shows pass or fail only, and a run asked for after its deadline passes nothing.
    late = lab.is_exam and as_utc(run.requested_at) > as_utc(session.expires_at)
    if lab.is_exam:
        from app.labs.exam import exam_results

        run.results = exam_results(run.results)
    run.output_excerpt = "\n\n".join(f"[{r.check_id}] {r.output}" for r in results if r.output)[
        :20_000
    ]
    run.status = RunStatus.DONE.value
    run.finished_at = now
    run.seconds = round(sum(r.seconds for r in results), 3)
    by_task: dict[str, list[CheckResult]] = {}
    for result in results:
        by_task.setdefault(result.task_id, []).append(result)
    rows = {r.task_id: r for r in session.task_results}
    newly_passed: list[str] = []
    for task in lab.tasks:
        outcome = by_task.get(task.id)
        if outcome is None:
            continue
        row = rows.get(task.id)
        if row is None:
            row = TaskResult(session_id=session.id, task_id=task.id, failed_checks=0)
            session.task_results.append(row)
        if row.passed_at is not None or late:
            continue
        if len(outcome) == len(task.checks) and all(r.passed for r in outcome):
            row.passed_at = now
            row.passed_by_run_id = run.id
            newly_passed.append(task.id)
        elif run.trigger == Trigger.BUTTON.value and any(r.outcome == "failed" for r in outcome):
            row.failed_checks += 1
    if session.completed_at is None and {t.id for t in lab.tasks} <= session.passed_task_ids():
        session.completed_at = now
    db.session.flush()
    _report_tasks(session, lab, newly_passed)
    return newly_passed


def _report_tasks(session: LabSession, lab: Lab, task_ids: list[str]) -> None:
    """Tell the learning record store (when there is one) which tasks just passed."""
    from flask import current_app

    from app.auth.models import User
    from app.xapi import statements

    if not task_ids or not statements.enabled():
        return
    user = db.session.get(User, session.user_id)
    if user is None:
        return
    # The session's evidence page (labs.session_detail); this runs in the worker, outside any
    # request, so the address is built from the base URL.
    evidence = f"{current_app.config['ACADEMY'].base_url.rstrip('/')}/labs/sessions/{session.id}"
    titles = {task.id: task.title for task in lab.tasks}
    for task_id in task_ids:
        statements.lab_task_passed(
            user, lab.id, task_id, f"{lab.title}: {titles.get(task_id, task_id)}", evidence
        )


def time_left(session: LabSession) -> timedelta:
    """Return how long the session has before it expires."""
    return max(as_utc(session.expires_at) - utcnow(), timedelta(0))


def needs_warning(session: LabSession) -> bool:
    """Tell whether the trainee should be warned that the session ends soon."""
    return session.status == SessionStatus.ACTIVE.value and time_left(session) <= timedelta(
        minutes=WARNING_MINUTES
    )


def note_seen(session: LabSession, now: datetime | None = None) -> bool:
    """Note that the lab page is open, at most every SEEN_EVERY; stamp the expiry warning once.

    Return whether the page's presence was recorded now (the caller then touches the sandbox,
    which keeps it from idling out); polls in between write nothing.
    """
    now = now or utcnow()
    seen = session.last_seen_at is None or now - as_utc(session.last_seen_at) >= SEEN_EVERY
    warn = needs_warning(session) and session.expiry_warned_at is None
    if seen:
        session.last_seen_at = now
    if warn:
        session.expiry_warned_at = now
    if seen or warn:
        db.session.flush()
    return seen


def page_open(session: LabSession, sandbox: Any) -> None:
    """The trainee's lab page polled: note it and keep the sandbox from idling out.

    Both are written at most every SEEN_EVERY (polls come every second), except that a sandbox
    showing an idle warning is touched at once to clear it.
    """
    from app.sandboxes.services import touch

    seen = note_seen(session)
    if sandbox is not None and (seen or sandbox.warning):
        touch(sandbox.id)
        db.session.refresh(sandbox)


def limit_presses(session: LabSession, per_minute: int, now: datetime | None = None) -> None:
    """Refuse a Check or answer press once per_minute runs were pressed for in the last minute.

    The session's row is locked until commit, so parallel presses are counted one by one.
    """
    now = now or utcnow()
    db.session.execute(select(LabSession.id).where(LabSession.id == session.id).with_for_update())
    pressed = db.session.scalars(
        select(CheckRun.requested_at)
        .where(
            CheckRun.session_id == session.id,
            CheckRun.trigger == Trigger.BUTTON.value,
            CheckRun.requested_at >= now - PRESS_WINDOW,
        )
        .order_by(CheckRun.requested_at.desc())
        .limit(per_minute)
    ).all()
    if len(pressed) < per_minute:
        return
    wait = as_utc(pressed[-1]) + PRESS_WINDOW - now
    retry_after = max(1, math.ceil(wait.total_seconds()))
    raise TooManyPresses(
        f"Checks are limited to {per_minute} a minute in a lab session. "
        f"Try again in {retry_after} seconds.",
        retry_after,
    )


def auto_check_due(session: LabSession, now: datetime | None = None) -> bool:
    """Tell whether continuous checking may ask for a run now.

    While a run is pending it may (request_check hands back that run); otherwise only once the
    newest run was asked for AUTO_SPACING ago, so a page (or a script) posting automatic checks
    in a loop cannot keep a job busy for the session.
    """
    now = now or utcnow()
    newest = db.session.execute(
        select(CheckRun.status, CheckRun.requested_at)
        .where(CheckRun.session_id == session.id)
        .order_by(CheckRun.id.desc())
        .limit(1)
    ).first()
    return (
        newest is None
        or newest.status != RunStatus.DONE.value
        or now - as_utc(newest.requested_at) >= AUTO_SPACING
    )


def extend_session(session: LabSession, lab: Lab, minutes: int = EXTEND_MINUTES) -> None:
    """Give the session more time, up to twice the lab's limit in all."""
    from app.sandboxes import services as sandboxes

    if session.status != SessionStatus.ACTIVE.value:
        raise LabError("Only a running lab can be extended.")
    if lab.is_exam:
        raise LabError("An exam's time limit cannot be extended.")
    latest = as_utc(session.ready_at or session.started_at) + timedelta(
        minutes=lab.time_limit_minutes * MAX_EXTENSION_FACTOR
    )
    new_expiry = min(as_utc(session.expires_at) + timedelta(minutes=minutes), latest)
    if new_expiry <= as_utc(session.expires_at):
        raise LabError("This lab cannot be extended any further.")
    added = int((new_expiry - as_utc(session.expires_at)).total_seconds() // 60) or 1
    session.expires_at = new_expiry
    session.expiry_warned_at = None
    if session.sandbox_id:
        sandboxes.extend(session.sandbox_id, added)
    db.session.flush()


def request_reset(session: LabSession, lab: Lab, task_id: str) -> None:
    """Ask the supervisor to re-run a task's reset scripts."""
    task = lab.task(task_id)
    if task is None:
        raise LabError("There is no such task in this lab.")
    if not task.reset:
        raise LabError("This task has nothing to reset.")
    if session.status != SessionStatus.ACTIVE.value:
        raise LabError("Tasks can be reset while the lab is running.")
    if session.busy:
        raise LabError("Please wait: the lab is busy with an earlier request.")
    session.busy = f"reset:{task_id}"
    session.progress = f"Resetting “{task.title}”"
    db.session.flush()


def finish_session(session: LabSession, status: SessionStatus = SessionStatus.FINISHED) -> None:
    """End a session; its sandbox is cleaned up and released by the supervisor."""
    if not session.is_open:
        return
    session.status = status.value
    session.finished_at = utcnow()
    session.busy = "cleanup"
    db.session.flush()


def fail_session(session: LabSession, reason: str) -> None:
    """Mark a session failed with the reason shown to the trainee."""
    session.status = SessionStatus.FAILED.value
    session.error = reason
    session.finished_at = utcnow()
    session.busy = "cleanup"
    db.session.flush()


def passed_lab_slugs(user_id: int) -> set[str]:
    """Return the slugs of labs in which the user passed every task in one session."""
    rows = db.session.scalars(
        select(LabSession.lab_slug).where(
            LabSession.user_id == user_id, LabSession.completed_at.is_not(None)
        )
    )
    return set(rows)


def lab_evidence(user_id: int) -> list[LabSession]:
    """Return the user's sessions with their task results and check runs, newest first."""
    return list(
        db.session.scalars(
            select(LabSession)
            .where(LabSession.user_id == user_id)
            .options(selectinload(LabSession.task_results), selectinload(LabSession.check_runs))
            .order_by(LabSession.id.desc())
        )
    )
