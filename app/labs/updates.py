"""Status updates a trainee posts on the platform during an incident drill.

Each update is stored with the server's time, never one the trainee gives, and `updates` checks
(app.labs.verdicts.judge_updates) judge the session's updates for cadence and content. The
lab page shows a form and the updates so far; the evidence page shows them in the session's
timeline.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import as_utc, utcnow
from app.content.labs import Lab
from app.extensions import db
from app.labs.models import LabSession, SessionStatus, TaskResult
from app.labs.verdicts import Timeline, UpdateEntry

MAX_TEXT = 2000


class UpdateStatus(enum.StrEnum):
    """The stage of the incident an update reports, as a status page shows it."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


STATUS_CHOICES = [(s.value, s.value.capitalize()) for s in UpdateStatus]


class StatusUpdate(db.Model):  # type: ignore[name-defined]
    """One status update of a lab session, stamped by the server when it arrived."""

    __tablename__ = "lab_status_updates"
    __table_args__ = (Index("ix_lab_status_updates_session", "session_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<StatusUpdate {self.id} session {self.session_id} {self.status}>"


class UpdateError(ValueError):
    """An update was refused; the message is safe to show to the trainee."""


def takes_updates(lab: Lab) -> bool:
    """Tell whether a lab asks for status updates (it has an `updates` check)."""
    return any(check.kind == "updates" for check in lab.checks)


def post_update(
    session: LabSession, lab: Lab, user_id: int, status: str, text: str
) -> StatusUpdate:
    """Store a status update with the server's time; flush only."""
    if not takes_updates(lab):
        raise UpdateError("This lab does not ask for status updates.")
    if session.status != SessionStatus.ACTIVE.value:
        raise UpdateError("Status updates can be posted while the lab is running.")
    if status not in {s.value for s in UpdateStatus}:
        raise UpdateError("Choose the stage of the incident the update reports.")
    body = text.strip()
    if not body:
        raise UpdateError("Write the update first.")
    if len(body) > MAX_TEXT:
        raise UpdateError(f"An update is at most {MAX_TEXT} characters.")
    update = StatusUpdate(
        session_id=session.id, user_id=user_id, status=status, text=body, posted_at=utcnow()
    )
    db.session.add(update)
    db.session.flush()
    return update


def updates_of(session_id: int) -> list[StatusUpdate]:
    """Return a session's status updates, oldest first."""
    return list(
        db.session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.session_id == session_id)
            .order_by(StatusUpdate.posted_at, StatusUpdate.id)
        )
    )


def timeline_for(session_id: int, now: datetime | None = None) -> Timeline:
    """Return what an `updates` check judges for a session, from the database."""
    session = db.session.get(LabSession, session_id)
    if session is None:
        raise LookupError(f"no lab session {session_id}")
    passed = db.session.scalars(
        select(TaskResult.task_id).where(
            TaskResult.session_id == session_id, TaskResult.passed_at.is_not(None)
        )
    ).all()
    return Timeline(
        ready_at=as_utc(session.ready_at) if session.ready_at else None,
        now=now or utcnow(),
        updates=tuple(
            UpdateEntry(as_utc(u.posted_at), u.status, u.text) for u in updates_of(session_id)
        ),
        passed_tasks=frozenset(passed),
    )
