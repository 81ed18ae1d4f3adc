"""The bench's scratch trainees, made in the server's database and removed afterwards.

They are ordinary trainee accounts in a cohort of their own, named `bench-load-<run>-<n>` at
`bench.test` (a reserved domain: no mail can reach anyone). One password hash serves them all, so
making a hundred accounts costs one scrypt computation. Removal waits for the sandboxes they
used to be destroyed, deletes their recordings' files, then the accounts (their progress,
attempts, sessions and runs go with them) and the cohort.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import delete, select
from werkzeug.security import generate_password_hash

from app.auth.models import Role, User
from app.coordination.models import Cohort, CohortMember
from app.extensions import db

EMAIL_DOMAIN = "bench.test"
RELEASE_WAIT_SECONDS = 180.0


@dataclass(frozen=True)
class ScratchTrainee:
    """One scratch account: its id, e-mail and password."""

    id: int
    email: str
    password: str


@dataclass(frozen=True)
class ScratchCohort:
    """The accounts of one run and their cohort."""

    run: str
    cohort_id: int
    trainees: list[ScratchTrainee]

    @property
    def user_ids(self) -> list[int]:
        """Return the accounts' ids."""
        return [t.id for t in self.trainees]


def email_of(run: str, n: int) -> str:
    """Return the e-mail address of scratch trainee n of a run."""
    return f"bench-load-{run}-{n}@{EMAIL_DOMAIN}"


def create_trainees(count: int) -> ScratchCohort:
    """Make count trainee accounts in a new cohort and commit them."""
    run = secrets.token_hex(3)
    password = secrets.token_urlsafe(18)
    password_hash = generate_password_hash(password)
    cohort = Cohort(name=f"Load bench {run}", start_date=date.today())
    db.session.add(cohort)
    db.session.flush()
    users = [
        User(
            email=email_of(run, n),
            full_name=f"Bench Trainee {n}",
            role=Role.TRAINEE.value,
            password_hash=password_hash,
        )
        for n in range(1, count + 1)
    ]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id) for u in users)
    db.session.commit()
    return ScratchCohort(run, cohort.id, [ScratchTrainee(u.id, u.email, password) for u in users])


def finish_open_sessions(user_ids: list[int]) -> int:
    """End the lab sessions still open for these accounts (those the pages did not finish)."""
    from app.labs import services as labs
    from app.labs.models import OPEN_STATUSES, LabSession

    db.session.expire_all()
    sessions = db.session.scalars(
        select(LabSession).where(
            LabSession.user_id.in_(user_ids), LabSession.status.in_(OPEN_STATUSES)
        )
    ).all()
    for session in sessions:
        labs.finish_session(session)
    db.session.commit()
    _wake(len(sessions))
    return len(sessions)


def _wake(changed: int) -> None:
    """Nudge a supervisor running in this process (none usually: the worker ticks by itself)."""
    if not changed:
        return
    from flask import current_app

    from app.sandboxes.supervisor import supervisor_of

    supervisor = supervisor_of(current_app._get_current_object())  # type: ignore[attr-defined]
    if supervisor is not None:
        supervisor.wake()


def live_sandboxes(user_ids: list[int]) -> list[str]:
    """Return the ids of the accounts' sandboxes not yet destroyed (or failed)."""
    from app.sandboxes.models import FINISHED, Sandbox

    db.session.expire_all()
    found = list(
        db.session.scalars(
            select(Sandbox.id).where(
                Sandbox.owner_id.in_(user_ids),
                Sandbox.status.notin_([s.value for s in FINISHED]),
            )
        )
    )
    db.session.commit()
    return found


def wait_sandboxes_gone(user_ids: list[int], seconds: float = RELEASE_WAIT_SECONDS) -> list[str]:
    """Wait for the worker to destroy the accounts' sandboxes; return those still there.

    Sandboxes whose lab sessions ended are cleaned up and released by the worker. Any left
    after half the time (a session that never got one, a stuck clean-up) are released here.
    """
    from app.sandboxes import services as sandboxes

    deadline = time.monotonic() + seconds
    released = False
    while True:
        remaining = live_sandboxes(user_ids)
        if not remaining or time.monotonic() > deadline:
            return remaining
        if not released and time.monotonic() > deadline - seconds / 2:
            for sandbox_id in remaining:
                sandboxes.release(sandbox_id)
            db.session.commit()
            _wake(len(remaining))
            released = True
        time.sleep(1.0)


def remove_trainees(app: Flask, cohort: ScratchCohort) -> dict[str, Any]:
    """Delete the run's accounts (with everything they own), their recordings' files, the rows
    of their destroyed sandboxes and the cohort; return what was removed."""
    from app.sandboxes.models import FINISHED, Sandbox, TerminalRecording
    from app.sandboxes.recordings import recording_path

    settings = app.config["ACADEMY"]
    ids = cohort.user_ids
    db.session.rollback()
    files = 0
    for recording in db.session.scalars(
        select(TerminalRecording).where(TerminalRecording.user_id.in_(ids))
    ):
        try:
            path = recording_path(settings, recording)
        except ValueError:
            continue
        if path.is_file():
            path.unlink()
            files += 1
    finished = list(
        db.session.scalars(
            select(Sandbox.id).where(
                Sandbox.owner_id.in_(ids), Sandbox.status.in_([s.value for s in FINISHED])
            )
        )
    )
    db.session.commit()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Before any statement, so it holds for this transaction: cascade as PostgreSQL does.
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.execute(delete(TerminalRecording).where(TerminalRecording.user_id.in_(ids)))
        users = conn.execute(delete(User).where(User.id.in_(ids))).rowcount
        sandboxes = 0
        if finished:
            # Rows of destroyed sandboxes: only history, and nobody's history any more.
            conn.execute(
                delete(TerminalRecording).where(TerminalRecording.sandbox_id.in_(finished))
            )
            sandboxes = conn.execute(delete(Sandbox).where(Sandbox.id.in_(finished))).rowcount
        conn.execute(delete(Cohort).where(Cohort.id == cohort.cohort_id))
        conn.commit()
    left = db.session.scalar(
        select(User.id).where(User.email.like(f"bench-load-{cohort.run}-%")).limit(1)
    )
    db.session.commit()
    return {
        "users_removed": users,
        "recording_files_removed": files,
        "sandbox_rows_removed": sandboxes,
        "users_left": left is not None,
    }
