"""What the platform remembers about drill occurrences: the notices sent and completions noted.

Whether a drill is due, done or missed is computed from the evidence (lab sessions, quiz
attempts, attested activities); a row here exists only once something was sent or recorded for
one occurrence, so a reminder goes out once per occurrence whatever the number of workers: the
row is unique per (operator, drill, period) and each notice is claimed with a conditional update.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, exists
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.auth.models import User
from app.certification.models import Certificate
from app.clock import utcnow
from app.extensions import db


class DrillOccurrence(db.Model):  # type: ignore[name-defined]
    """One drill's occurrence for one certificate holder, once something happened to it."""

    __tablename__ = "drill_occurrences"
    __table_args__ = (UniqueConstraint("user_id", "drill_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    drill_id: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(Date)
    # The holder was told it is due soon; their coordinators (and they) that it is overdue.
    due_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The completion that satisfied it (reported once, as an xAPI statement).
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    evidence_kind: Mapped[str | None] = mapped_column(String(20))
    evidence_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Whether an account holds any certificate, loaded with the account itself (one EXISTS in the
# user loader's query), so the navigation's Drills entry costs no query of its own.
User.holds_certificate = column_property(
    exists().where(Certificate.user_id == User.id), deferred=False
)
