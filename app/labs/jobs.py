"""Lab work done by the sandbox supervisor, off the request: setup, check runs, resets, cleanup.

`tick(app)` runs on every supervisor tick (it is listed in app.sandboxes.supervisor.TASKS). It
only reads rows and claims work with conditional updates, so several workers never do the same
job twice; the slow parts are handed to the supervisor's thread pool with `submit`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from app.clock import as_utc, utcnow
from app.content import get_catalog
from app.content.labs import Lab, Step, labs_of
from app.extensions import db
from app.labs import services
from app.labs.checks import CheckResult, CheckRunner, Executor, Output, ProbeExecutor
from app.labs.models import CheckRun, LabSession, RunStatus, SessionStatus, Trigger
from app.labs.values import script_env

log = logging.getLogger("academy.labs")

# A run or setup still marked running after this long was lost (e.g. the worker restarted).
STALE_AFTER = timedelta(minutes=15)
SANDBOX_READY = "ready"
SANDBOX_GONE = ("failed", "expired", "destroyed")


def sandbox_executor(sandbox_id: str) -> Executor:
    """Return an executor that runs commands in a session's sandbox."""
    from app.sandboxes import services as sandboxes

    def execute(host: str, command: list[str], **options: Any) -> Output:
        result: Output = sandboxes.exec_in(sandbox_id, host, command, **options)
        return result

    return execute


def sandbox_probe(sandbox_id: str) -> ProbeExecutor:
    """Return a probe executor that runs check scripts beside a session's sandbox hosts."""
    from app.sandboxes import services as sandboxes

    def probe(host: str, script: str, **options: Any) -> Output:
        result: Output = sandboxes.probe_in(sandbox_id, host, script, **options)
        return result

    return probe


@dataclass(frozen=True)
class Unreachable:
    """The outcome of a step that could not be started at all (the engine is gone)."""

    stderr: str
    exit_code: int = -1
    stdout: str = ""
    timed_out: bool = False


def run_step(
    execute: Executor,
    step: Step,
    values: dict[str, Any],
    session: str,
    *,
    argument: str | None = None,
) -> Output:
    """Run one setup, solve, cleanup or reset step (its script sent on stdin); never raises.

    With an argument the step is a forgery: it runs as the trainee would, in a login shell with
    that argument as $1 and none of the session's values.
    """
    try:
        if argument is not None:
            return execute(
                step.host,
                ["bash", "-l", "-s", argument],
                user=step.user,
                stdin=step.script.text.encode(),
                timeout=step.timeout,
                workdir=f"/home/{step.user}",
            )
        return execute(
            step.host,
            ["bash", "-s"],
            user=step.user,
            stdin=step.script.text.encode(),
            timeout=step.timeout,
            env=script_env(values, session, step.host),
        )
    except Exception as error:  # e.g. SandboxUnavailable: reported like a failed step
        return Unreachable(f"{type(error).__name__}: {error}")


def step_failure(step: Step, result: Output) -> str:
    """Describe a failed step for the coordinator (and the author)."""
    why = "timed out" if result.timed_out else f"exited {result.exit_code}"
    tail = (str(result.stderr or "") or str(result.stdout or "")).strip()[-1500:]
    return f"{step.script.source} on {step.host} {why}\n{tail}".strip()


def _submit(fn: Callable[..., None], *args: Any, quick: bool = False) -> bool:
    from app.sandboxes import supervisor

    return supervisor.submit(fn, *args, quick=quick)


def pick_up_checks(app: Flask) -> None:
    """Claim queued check runs and run them on the supervisor's quick pool.

    Also a quick task (polled every 0.1 s by the worker): a Check press is picked up at once,
    and its run never waits behind sandbox starts and setups on the main job pool. Continuous
    checking is background work that yields to presses: an automatic run starts only while no
    press is queued or running (on any worker), and at most AUTO_AT_ONCE of them at a time, so
    the machine's spare CPU goes to them and a press competes with at most that many.
    """
    now = utcnow()
    pending = db.session.execute(
        select(CheckRun.id, CheckRun.trigger, CheckRun.status)
        .where(CheckRun.status.in_((RunStatus.QUEUED.value, RunStatus.RUNNING.value)))
        .order_by(CheckRun.id)
    ).all()
    pressed = any(row.trigger != Trigger.AUTO.value for row in pending)
    queued = [row for row in pending if row.status == RunStatus.QUEUED.value]
    for run_id, trigger, _status in sorted(
        queued, key=lambda row: row.trigger == Trigger.AUTO.value
    ):
        automatic = trigger == Trigger.AUTO.value
        if automatic and (pressed or not _auto_slot_free()):
            continue  # stays queued: request_check hands this run back to the page meanwhile
        if _claim(
            CheckRun,
            run_id,
            "status",
            RunStatus.QUEUED.value,
            RunStatus.RUNNING.value,
            started_at=now,
        ):
            if automatic:
                with _auto_lock:
                    _auto_running.add(run_id)
                if not _submit(execute_auto_run, app, run_id, quick=True):
                    with _auto_lock:
                        _auto_running.discard(run_id)
            else:
                _submit(execute_run, app, run_id, quick=True)


# Automatic runs this process is running, and how many it may run at once: one per two cores
# (one on a 2-core machine), so continuous checking never takes more than its share from the
# presses, the pages and the sandboxes' own work.
AUTO_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
_auto_running: set[int] = set()
_auto_lock = threading.Lock()


def _auto_slot_free() -> bool:
    with _auto_lock:
        return len(_auto_running) < AUTO_AT_ONCE


def execute_auto_run(app: Flask, run_id: int) -> None:
    """Run an automatic check run, then give its slot back."""
    try:
        execute_run(app, run_id)
    finally:
        with _auto_lock:
            _auto_running.discard(run_id)


def _claim(model: Any, row_id: int, column: str, before: str, after: str, **changes: Any) -> bool:
    """Move a row from one state to the next only if nobody else did (across workers)."""
    statement = (
        update(model)
        .where(model.id == row_id, getattr(model, column) == before)
        .values({column: after, **changes})
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
    db.session.commit()
    return claimed


def tick(app: Flask) -> None:
    """Advance every lab session and hand queued work to the pool (called in an app context)."""
    now = utcnow()
    _advance_starting()
    pick_up_checks(app)
    for session_id in _advance_active(now):
        _submit(run_reset, app, session_id)
    for session_id in db.session.scalars(
        select(LabSession.id).where(LabSession.busy == "cleanup")
    ).all():
        if _claim(LabSession, session_id, "busy", "cleanup", "cleaning"):
            _submit(run_cleanup, app, session_id)
    _recover_stale(now)
    _submit_setups(app)
    # Prepared sandboxes (a lab's setup already run) for labs people are starting.
    from app.labs import warm

    warm.maintain(app)


def _advance_starting() -> None:
    """Mirror the sandbox's start-up progress; mark sessions whose sandbox is ready for setup."""
    from app.sandboxes.models import Sandbox

    rows = db.session.execute(
        select(LabSession, Sandbox)
        .outerjoin(Sandbox, Sandbox.id == LabSession.sandbox_id)
        .where(LabSession.status == SessionStatus.STARTING.value)
    ).all()
    for session, sandbox in rows:
        if sandbox is None or sandbox.status in SANDBOX_GONE:
            reason = (
                sandbox.error if sandbox is not None else None
            ) or "The sandbox could not be started."
            services.fail_session(session, reason)
        elif sandbox.status == SANDBOX_READY:
            session.status = SessionStatus.SETTING_UP.value
            session.busy = "setup"
            session.progress = "Setting up the lab"
            session.progress_percent = 60
        else:
            session.progress = sandbox.progress or "Starting the sandbox"
            session.progress_percent = min(60, int(0.6 * (sandbox.progress_percent or 0)))
    db.session.commit()


def _submit_setups(app: Flask) -> None:
    for session_id in db.session.scalars(
        select(LabSession.id).where(LabSession.busy == "setup")
    ).all():
        if _claim(LabSession, session_id, "busy", "setup", "setting-up"):
            _submit(run_setup, app, session_id)


def _advance_active(now: Any) -> list[int]:
    """Expire sessions past their time or whose sandbox is gone; return sessions to reset."""
    from app.sandboxes.models import Sandbox

    rows = db.session.execute(
        select(LabSession, Sandbox)
        .outerjoin(Sandbox, Sandbox.id == LabSession.sandbox_id)
        .where(LabSession.status == SessionStatus.ACTIVE.value)
    ).all()
    resets = []
    for session, sandbox in rows:
        if as_utc(session.expires_at) <= now:
            services.finish_session(session, SessionStatus.EXPIRED)
        elif sandbox is None or sandbox.status in SANDBOX_GONE:
            services.finish_session(session, SessionStatus.EXPIRED)
            session.error = (
                "The sandbox was closed (idle too long, or stopped by an administrator)."
            )
        elif session.busy and session.busy.startswith("reset:"):
            resets.append((session.id, session.busy))
    db.session.commit()
    return [
        sid
        for sid, busy in resets
        if _claim(LabSession, sid, "busy", busy, "resetting:" + busy[6:])
    ]


def _recover_stale(now: Any) -> None:
    stale = now - STALE_AFTER
    for run in db.session.scalars(
        select(CheckRun).where(
            CheckRun.status == RunStatus.RUNNING.value, CheckRun.started_at < stale
        )
    ).all():
        run.status = RunStatus.DONE.value
        run.finished_at = now
        run.output_excerpt = "the run was lost (the worker stopped while it ran)"
    for session in db.session.scalars(
        select(LabSession).where(
            LabSession.status == SessionStatus.SETTING_UP.value,
            LabSession.busy == "setting-up",
            LabSession.started_at < stale,
        )
    ).all():
        services.fail_session(session, "The lab's setup was interrupted. Start the lab again.")
    db.session.commit()


def _lab_for(session: LabSession) -> Lab | None:
    return labs_of(get_catalog()).get(session.lab_slug)


def run_setup(app: Flask, session_id: int) -> None:
    """Run a session's setup in its ready sandbox, recording progress, then open it."""
    with app.app_context():
        session = db.session.get(LabSession, session_id)
        if session is None or session.busy != "setting-up":
            return
        lab = _lab_for(session)
        if lab is None or session.sandbox_id is None:
            services.fail_session(session, "This lab no longer exists.")
            db.session.commit()
            return
        execute = sandbox_executor(session.sandbox_id)
        total = len(lab.setup)
        for number, step in enumerate(lab.setup, start=1):
            session.progress = f"Setting up the lab (step {number} of {total})"
            session.progress_percent = 60 + int(40 * (number - 1) / max(total, 1))
            db.session.commit()
            result = run_step(execute, step, session.values, str(session.id))
            db.session.refresh(session)
            if session.busy != "setting-up":
                return  # finished or failed meanwhile
            if result.exit_code != 0 or result.timed_out:
                log.warning(
                    "lab setup failed", extra={"fields": {"session": session_id, "lab": lab.id}}
                )
                services.fail_session(
                    session, f"The lab's setup failed: {step_failure(step, result)}"
                )
                db.session.commit()
                return
        session.status = SessionStatus.ACTIVE.value
        session.busy = None
        session.progress = "Ready"
        session.progress_percent = 100
        session.ready_at = utcnow()
        # The clock starts when the trainee can work, not while the sandbox was being made.
        session.expires_at = session.ready_at + timedelta(minutes=lab.time_limit_minutes)
        db.session.commit()


def run_queued(app: Flask, run_id: int) -> None:
    """Claim a queued check run and run it now (handed over straight after the request commits)."""
    with app.app_context():
        started = utcnow()
        if _claim(
            CheckRun,
            run_id,
            "status",
            RunStatus.QUEUED.value,
            RunStatus.RUNNING.value,
            started_at=started,
        ):
            execute_run(app, run_id)


def execute_run(app: Flask, run_id: int) -> None:
    """Run a queued check run's checks and store the results (a claimed, running run)."""
    with app.app_context():
        run = db.session.get(CheckRun, run_id)
        if run is None or run.status != RunStatus.RUNNING.value:
            return
        session = run.session
        lab = _lab_for(session)
        if (
            lab is None
            or session.sandbox_id is None
            or session.status != SessionStatus.ACTIVE.value
        ):
            services.record_results(run, lab or _empty_lab(session), [])
            db.session.commit()
            return
        runner = CheckRunner(
            sandbox_executor(session.sandbox_id),
            session.values,
            str(session.id),
            sandbox_probe(session.sandbox_id),
        )
        passed = session.passed_task_ids()
        answers = dict(session.answers or {})
        checks = [
            check
            for task in lab.tasks
            if task.id not in passed and run.task_id in (None, task.id)
            for check in task.checks
        ]
        # A press gets the machine's CPU first; an automatic run is background work and keeps
        # the sandbox's usual weight. The weight goes back after the result is stored, so the
        # trainee does not wait for it.
        pressed = run.trigger != Trigger.AUTO.value
        db.session.commit()  # hold no transaction while the checks run
        with check_priority(app, session.sandbox_id) if pressed else contextlib.nullcontext():
            results = _run_checks(app, runner, checks, answers)
            db.session.refresh(session)  # another run may have passed a task meanwhile
            services.record_results(run, lab, results)
            db.session.commit()


def check_priority(app: Flask, sandbox_id: str) -> contextlib.AbstractContextManager[None]:
    """Give a sandbox the machine's CPU first while its checks run (see DockerRuntime)."""
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    try:
        return get_runtime(app, images=[]).check_priority(sandbox_id)
    except SandboxUnavailable:
        return contextlib.nullcontext()  # the checks will report the engine themselves


# Checks of one run that run at the same time: each is its own script in the probe, and most of
# a check's time is spent waiting for the engine and the sandbox, so a press's result comes
# after its slowest check rather than after the sum of them.
CHECKS_AT_ONCE = 4


def _run_checks(
    app: Flask, runner: CheckRunner, checks: list[Any], answers: dict[str, Any]
) -> list[CheckResult]:
    """Run checks (concurrently when there are several) and return their results in order."""
    if len(checks) <= 1:
        return [runner.run(check, answers.get(check.id)) for check in checks]

    def one(check: Any) -> CheckResult:
        with app.app_context():
            return runner.run(check, answers.get(check.id))

    with ThreadPoolExecutor(min(CHECKS_AT_ONCE, len(checks)), "lab-check") as pool:
        return list(pool.map(one, checks))


def _empty_lab(session: LabSession) -> Lab:
    from pathlib import Path

    return Lab(
        id=session.lab_slug, title="", day_id="", signoff_task="", summary="", intro_html="",
        time_limit_minutes=0, continuous=False, hosts=(), values=(), setup=(), solve=(),
        cleanup=(), tasks=(), folder=Path(),
    )  # fmt: skip


def run_reset(app: Flask, session_id: int) -> None:
    """Re-run one task's reset scripts (the session's busy field names the task)."""
    with app.app_context():
        session = db.session.get(LabSession, session_id)
        if session is None or not (session.busy or "").startswith("resetting:"):
            return
        task_id = (session.busy or "").split(":", 1)[1]
        lab = _lab_for(session)
        task = lab.task(task_id) if lab else None
        message, failure = "Task reset.", None
        if task is not None and session.sandbox_id:
            execute = sandbox_executor(session.sandbox_id)
            for step in task.reset:
                result = run_step(execute, step, session.values, str(session.id))
                if result.exit_code != 0 or result.timed_out:
                    message = "The reset did not complete; tell your coordinator."
                    failure = f"reset of {task_id} failed: {step_failure(step, result)}"
                    break
        db.session.refresh(session)
        if session.busy == f"resetting:{task_id}":
            session.busy = None
            session.progress = message
            session.error = failure or session.error
        db.session.commit()


def run_cleanup(app: Flask, session_id: int) -> None:
    """Run the lab's cleanup scripts (best effort) and release the session's sandbox."""
    from app.sandboxes import services as sandboxes

    with app.app_context():
        session = db.session.get(LabSession, session_id)
        if session is None or session.busy != "cleaning":
            return
        lab = _lab_for(session)
        if lab is not None and session.sandbox_id and session.ready_at is not None:
            execute = sandbox_executor(session.sandbox_id)
            for step in lab.cleanup:
                try:
                    run_step(execute, step, session.values, str(session.id))
                except Exception:
                    log.exception(
                        "lab cleanup step failed", extra={"fields": {"session": session_id}}
                    )
        if session.sandbox_id:
            try:
                sandboxes.release(session.sandbox_id)
            except Exception:
                log.exception(
                    "releasing a lab sandbox failed", extra={"fields": {"session": session_id}}
                )
        session.busy = None
        db.session.commit()


def lab_profiles(app: Flask) -> list[str]:
    """Return the sandbox profile of every lab, so the warm pool can hold them ready."""
    from app.content import ContentError
    from app.sandboxes.services import profile_key

    try:
        labs = labs_of(get_catalog()).values()
    except ContentError:
        return []  # `academy serve` refuses broken content; a worker just keeps no lab pool
    return sorted({profile_key(services.host_specs(lab)) for lab in labs})
