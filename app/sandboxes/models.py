"""Sandboxes (a set of hosts a trainee works on) and the terminal recordings made in them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class SandboxStatus(enum.StrEnum):
    """Where a sandbox is in its life.

    A trainee's request starts as `requested` and the supervisor starts it (`starting`) unless a
    warm one could be claimed at once (`claimed`); either way it ends `ready`. Pool sandboxes go
    `starting` → `warm` and wait to be claimed. `expired` ones are about to be destroyed.
    """

    REQUESTED = "requested"
    STARTING = "starting"
    WARM = "warm"
    CLAIMED = "claimed"
    READY = "ready"
    EXPIRED = "expired"
    DESTROYED = "destroyed"
    FAILED = "failed"


# States whose containers exist (or are being made) on an engine.
LIVE = (SandboxStatus.STARTING, SandboxStatus.WARM, SandboxStatus.CLAIMED, SandboxStatus.READY)
# States a trainee's sandbox passes through before it is usable.
PENDING = (SandboxStatus.REQUESTED, SandboxStatus.STARTING, SandboxStatus.CLAIMED)
# States that are over for good.
FINISHED = (SandboxStatus.DESTROYED, SandboxStatus.FAILED)

POOL_PURPOSE = "pool"


def new_sandbox_id() -> str:
    """Return a fresh sandbox id (the label its containers carry)."""
    return uuid.uuid4().hex


class Sandbox(db.Model):  # type: ignore[name-defined]
    """One disposable set of hosts (containers on a private network) and its state."""

    __tablename__ = "sandboxes"
    __table_args__ = (Index("ix_sandboxes_status_profile", "status", "profile"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sandbox_id)
    profile: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=SandboxStatus.REQUESTED.value)
    progress: Mapped[str] = mapped_column(String(300), default="")
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(200), default=POOL_PURPOSE)
    engine: Mapped[str] = mapped_column(String(300), default="")
    disk: Mapped[str] = mapped_column(String(20), default="")
    error: Mapped[str | None] = mapped_column(Text)
    # Shown on the lab page shortly before the reaper would close the sandbox.
    warning: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_ready(self) -> bool:
        """Tell whether the trainee can work in it now."""
        return self.status == SandboxStatus.READY.value

    @property
    def is_pending(self) -> bool:
        """Tell whether it is still on its way to ready."""
        return self.status in {s.value for s in PENDING}

    @property
    def is_live(self) -> bool:
        """Tell whether its containers exist (or are being made)."""
        return self.status in {s.value for s in LIVE}

    def __repr__(self) -> str:
        return f"<Sandbox {self.id[:8]} {self.profile} {self.status}>"


class TerminalRecording(db.Model):  # type: ignore[name-defined]
    """One browser-terminal connection, recorded as an asciicast v2 file."""

    __tablename__ = "terminal_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = mapped_column(ForeignKey("sandboxes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(63))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Relative to the instance folder, e.g. recordings/2026-11/<sandbox>-<n>.cast
    path: Mapped[str] = mapped_column(String(300))
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    cols: Mapped[int] = mapped_column(Integer, default=80)
    rows: Mapped[int] = mapped_column(Integer, default=24)

    @property
    def is_live(self) -> bool:
        """Tell whether the terminal is still connected."""
        return self.ended_at is None
