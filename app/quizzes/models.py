"""Quiz attempts, the question versions they were drawn from, and the regrade history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db


class QuestionVersion(db.Model):  # type: ignore[name-defined]
    """The full definition of a question as it was when first put on a paper.

    Editing a question in its quiz.yaml gives it a new version hash; attempts keep pointing
    at the version they were drawn with, so a review always shows what the trainee saw.
    """

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(16), index=True)
    quiz_id: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizAttempt(db.Model):  # type: ignore[name-defined]
    """One sitting of a quiz: the paper drawn, the answers given and the grade."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # Two racing starts cannot both become attempt N: the database has the final word.
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index("ix_quiz_attempts_quiz_id_submitted_at", "quiz_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "day" or "assessment"
    day_id: Mapped[str | None] = mapped_column(String(50))
    number: Mapped[int] = mapped_column(Integer)
    content_version: Mapped[str] = mapped_column(String(20))
    # {"seed": int, "review": mode, "questions": [{"id", "version", "options": [ids shown]}]}
    paper: Mapped[dict[str, Any]] = mapped_column(JSON)
    pass_mark: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # True when the time ran out and the answers saved before the deadline were graded.
    expired: Mapped[bool] = mapped_column(default=False)
    # {question id: answer}; saved while the attempt is open, final once submitted.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {question id: {"points": 0..1, "version": hash graded against}}
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()
    graded_version: Mapped[str | None] = mapped_column(String(20))
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        """Tell whether the attempt still takes answers."""
        return self.submitted_at is None

    @property
    def question_ids(self) -> list[str]:
        """Return the ids of the questions on the paper, in paper order."""
        return [entry["id"] for entry in self.paper["questions"]]

    def __repr__(self) -> str:
        return f"<QuizAttempt {self.id} {self.quiz_id} user={self.user_id} #{self.number}>"


class QuizRegrade(db.Model):  # type: ignore[name-defined]
    """A coordinator's regrade of a quiz's attempts against its current questions."""

    __tablename__ = "quiz_regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[str] = mapped_column(String(100), index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    content_version: Mapped[str] = mapped_column(String(20))
    attempts_checked: Mapped[int] = mapped_column(Integer, default=0)
    attempts_changed: Mapped[int] = mapped_column(Integer, default=0)

    by_user: Mapped[User | None] = relationship()
    changes: Mapped[list[AttemptRegrade]] = relationship(
        back_populates="regrade", cascade="all, delete-orphan"
    )


class AttemptRegrade(db.Model):  # type: ignore[name-defined]
    """How one attempt's grade changed in a regrade."""

    __tablename__ = "attempt_regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    regrade_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_regrades.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    old_score: Mapped[float] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    old_passed: Mapped[bool] = mapped_column()
    new_passed: Mapped[bool] = mapped_column()
    # The questions whose points changed: [{"id", "old", "new", "version"}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    regrade: Mapped[QuizRegrade] = relationship(back_populates="changes")
    attempt: Mapped[QuizAttempt] = relationship()


class ExtraAttempt(db.Model):  # type: ignore[name-defined]
    """One more attempt at a quiz, granted by a coordinator to a trainee who used them all."""

    __tablename__ = "quiz_extra_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(100))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
