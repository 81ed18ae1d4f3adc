"""Statements waiting for (or delivered to) the learning record store."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class StatementStatus(enum.StrEnum):
    """Where a statement is on its way to the LRS."""

    PENDING = "pending"  # not stored by the LRS yet (new, or waiting to retry)
    SENT = "sent"  # the LRS stored it
    REJECTED = "rejected"  # the LRS refused its content (4xx): kept for the admin, not retried


class XapiStatement(db.Model):  # type: ignore[name-defined]
    """One xAPI statement, written with the change it reports."""

    __tablename__ = "xapi_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    verb: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=StatementStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
