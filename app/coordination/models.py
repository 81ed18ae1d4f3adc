"""Cohorts: the teams a coordinator onboards together."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db


class Cohort(db.Model):  # type: ignore[name-defined]
    """A group of trainees who start the programme together."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    coordinators: Mapped[list[CohortCoordinator]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )


class CohortMember(db.Model):  # type: ignore[name-defined]
    """A trainee's place in a cohort (a trainee is in at most one cohort)."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CohortCoordinator(db.Model):  # type: ignore[name-defined]
    """A coordinator responsible for a cohort."""

    __tablename__ = "cohort_coordinators"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="coordinators")
    user: Mapped[User] = relationship()
