"""A trainee's progress through lessons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class LessonProgress(db.Model):  # type: ignore[name-defined]
    """Time spent on a lesson and when it was marked complete."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(100))
    day_id: Mapped[str] = mapped_column(String(50))
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)
    first_opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_version: Mapped[str] = mapped_column(String(20))
