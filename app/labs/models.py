"""Lab sessions, the tasks passed in them, and every check run kept as evidence."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db


class SessionStatus(enum.StrEnum):
    """Where a lab session is in its life."""

    STARTING = "starting"  # waiting for the sandbox
    SETTING_UP = "setting_up"  # the lab's setup runs in the ready sandbox
    ACTIVE = "active"  # the trainee works
    FINISHED = "finished"
    EXPIRED = "expired"
    FAILED = "failed"


OPEN_STATUSES = (
    SessionStatus.STARTING.value,
    SessionStatus.SETTING_UP.value,
    SessionStatus.ACTIVE.value,
)
# The partial index's condition: a trainee has at most one open session of each lab.
OPEN_CONDITION = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"


class Trigger(enum.StrEnum):
    """What asked for a check run."""

    BUTTON = "button"
    AUTO = "auto"
    TEST = "test"


class RunStatus(enum.StrEnum):
    """Where a check run is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class LabSession(db.Model):  # type: ignore[name-defined]
    """One attempt at a lab in its own sandbox, with the values drawn for it."""

    __tablename__ = "lab_sessions"
    __table_args__ = (
        Index("ix_lab_sessions_user_lab", "user_id", "lab_slug"),
        # The database, not a check-then-insert, keeps a double-clicked Start to one session.
        Index(
            "uq_lab_sessions_open",
            "user_id",
            "lab_slug",
            unique=True,
            postgresql_where=text(OPEN_CONDITION),
            sqlite_where=text(OPEN_CONDITION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lab_slug: Mapped[str] = mapped_column(String(100))
    sandbox_id: Mapped[str | None] = mapped_column(
        ForeignKey("sandboxes.id", ondelete="SET NULL"), index=True
    )
    seed: Mapped[int] = mapped_column(BigInteger)
    values: Mapped[dict[str, Any]] = mapped_column("random_values", JSON, default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # How many answers the trainee submitted per answer check (each check allows max_tries).
    answer_tries: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(20), default=SessionStatus.STARTING.value, index=True
    )
    content_version: Mapped[str] = mapped_column(String(20))
    progress: Mapped[str] = mapped_column(String(300), default="")
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Work the supervisor is doing for the trainee right now (e.g. resetting a task).
    busy: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expiry_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    task_results: Mapped[list[TaskResult]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="TaskResult.id"
    )
    check_runs: Mapped[list[CheckRun]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CheckRun.id.desc()"
    )

    @property
    def is_open(self) -> bool:
        """Tell whether the session is still starting or being worked on."""
        return self.status in OPEN_STATUSES

    def passed_task_ids(self) -> set[str]:
        """Return the ids of the tasks passed in this session."""
        return {r.task_id for r in self.task_results if r.passed_at is not None}

    def __repr__(self) -> str:
        return f"<LabSession {self.id} {self.lab_slug} {self.status}>"


class TaskResult(db.Model):  # type: ignore[name-defined]
    """A task's state in a session: once passed it stays passed."""

    __tablename__ = "lab_task_results"
    __table_args__ = (UniqueConstraint("session_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(100))
    passed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    passed_by_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("lab_check_runs.id", ondelete="SET NULL")
    )
    # Failed Check presses reveal the task's hints one at a time.
    failed_checks: Mapped[int] = mapped_column(Integer, default=0)

    session: Mapped[LabSession] = relationship(back_populates="task_results")


class CheckRun(db.Model):  # type: ignore[name-defined]
    """One run of a session's checks: who asked, when, and every check's structured result."""

    __tablename__ = "lab_check_runs"
    __table_args__ = (Index("ix_lab_check_runs_session_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # None = every task not yet passed.
    task_id: Mapped[str | None] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(10), default=Trigger.BUTTON.value)
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED.value, index=True)
    # [{check_id, task_id, title, kind, outcome, message, hints, detail, seconds, output}]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    output_excerpt: Mapped[str] = mapped_column(Text, default="")
    content_version: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)

    session: Mapped[LabSession] = relationship(back_populates="check_runs")
    user: Mapped[User | None] = relationship()

    @property
    def outcome(self) -> str:
        """Summarise the run: passed, failed, error, or its status while unfinished."""
        if self.status != RunStatus.DONE.value:
            return self.status
        outcomes = {r.get("outcome") for r in self.results}
        if not outcomes:
            return "passed"
        if "failed" in outcomes:
            return "failed"
        return "error" if "error" in outcomes else "passed"


class PreparedStatus(enum.StrEnum):
    """Where a prepared lab sandbox is (app/labs/warm.py)."""

    BOOTING = "booting"  # its sandbox is starting
    SETTING_UP = "setting_up"  # the lab's setup runs in it
    READY = "ready"  # waiting for a trainee to press Start
    CLAIMED = "claimed"  # handed to one session (session_id), for good
    DISCARDED = "discarded"  # failed, too old, or its content changed: its sandbox is released


class PreparedLab(db.Model):  # type: ignore[name-defined]
    """A sandbox with a lab's setup already run, from values drawn when it was prepared.

    A Start claims one with a conditional UPDATE (ready → claimed); its seed and values become
    the session's. The unique session_id and sandbox_id keep it to one session, ever.
    """

    __tablename__ = "lab_prepared"
    __table_args__ = (
        UniqueConstraint("sandbox_id", name="uq_lab_prepared_sandbox"),
        UniqueConstraint("session_id", name="uq_lab_prepared_session"),
        Index("ix_lab_prepared_lab_status", "lab_slug", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_slug: Mapped[str] = mapped_column(String(100))
    sandbox_id: Mapped[str] = mapped_column(ForeignKey("sandboxes.id", ondelete="CASCADE"))
    content_version: Mapped[str] = mapped_column(String(20))
    seed: Mapped[int] = mapped_column(BigInteger)
    values: Mapped[dict[str, Any]] = mapped_column("random_values", JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PreparedStatus.BOOTING.value)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("lab_sessions.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<PreparedLab {self.id} {self.lab_slug} {self.status}>"


class RecordStatus(enum.StrEnum):
    """Where an exam attempt's incident record is (app/labs/exam.py)."""

    SUBMITTED = "submitted"  # waiting for a coordinator
    APPROVED = "approved"
    RETURNED = "returned"  # sent back with a comment; the trainee may edit and submit again


class ExamRecord(db.Model):  # type: ignore[name-defined]
    """The incident record a trainee writes for one exam attempt, and its review."""

    __tablename__ = "lab_exam_records"
    __table_args__ = (UniqueConstraint("session_id", name="uq_lab_exam_records_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    timeline: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.SUBMITTED.value)
    content_version: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_name: Mapped[str] = mapped_column(String(200), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[LabSession] = relationship()

    def __repr__(self) -> str:
        return f"<ExamRecord {self.id} session {self.session_id} {self.status}>"
