"""Cohort membership and the rule that coordinators see only their own teams."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from app.auth.models import Role, User
from app.coordination.models import Cohort, CohortCoordinator, CohortMember
from app.extensions import db


class CohortError(ValueError):
    """A cohort operation was refused; the message is safe to show."""


def create_cohort(name: str, start_date: date, coordinator_ids: list[int] | None = None) -> Cohort:
    """Create a cohort with its coordinators."""
    if not name.strip():
        raise CohortError("A cohort needs a name.")
    if db.session.scalar(select(Cohort).where(Cohort.name == name.strip())) is not None:
        raise CohortError(f"A cohort named {name.strip()!r} already exists.")
    cohort = Cohort(name=name.strip(), start_date=start_date)
    db.session.add(cohort)
    db.session.flush()
    for user_id in coordinator_ids or []:
        db.session.add(CohortCoordinator(cohort_id=cohort.id, user_id=user_id))
    db.session.flush()
    return cohort


def add_member(cohort_id: int, user_id: int) -> CohortMember:
    """Put a trainee into a cohort, moving them out of any other."""
    current = db.session.scalar(select(CohortMember).where(CohortMember.user_id == user_id))
    if current is not None:
        current.cohort_id = cohort_id
        db.session.flush()
        return current
    member = CohortMember(cohort_id=cohort_id, user_id=user_id)
    db.session.add(member)
    db.session.flush()
    return member


def cohort_of(user_id: int) -> Cohort | None:
    """Return the cohort a trainee belongs to."""
    return db.session.scalar(
        select(Cohort).join(CohortMember).where(CohortMember.user_id == user_id)
    )


def cohorts_visible_to(user: User) -> list[Cohort]:
    """Return the cohorts this user may see: all for admins, their own for coordinators."""
    query = select(Cohort).order_by(Cohort.start_date.desc(), Cohort.name)
    if user.has_role(Role.ADMIN):
        return list(db.session.scalars(query))
    if user.has_role(Role.COORDINATOR):
        query = query.join(CohortCoordinator).where(CohortCoordinator.user_id == user.id)
        return list(db.session.scalars(query))
    return []


def can_oversee(user: User, trainee_id: int) -> bool:
    """Tell whether user may see and act on this trainee's work."""
    if user.has_role(Role.ADMIN):
        return True
    if not user.has_role(Role.COORDINATOR):
        return False
    query = select(
        exists()
        .where(CohortMember.user_id == trainee_id)
        .where(CohortCoordinator.cohort_id == CohortMember.cohort_id)
        .where(CohortCoordinator.user_id == user.id)
    )
    return bool(db.session.scalar(query))


def is_cohort_coordinator(user: User, trainee_id: int) -> bool:
    """Tell whether user coordinates the cohort this trainee belongs to (admins do not count)."""
    if not user.has_role(Role.COORDINATOR):
        return False
    return can_oversee(user, trainee_id)


def coordinators_of(trainee_id: int) -> list[User]:
    """Return the coordinators of the trainee's cohort."""
    query = (
        select(User)
        .join(CohortCoordinator, CohortCoordinator.user_id == User.id)
        .join(CohortMember, CohortMember.cohort_id == CohortCoordinator.cohort_id)
        .where(CohortMember.user_id == trainee_id, User.active.is_(True))
        .order_by(User.full_name)
    )
    return list(db.session.scalars(query))


def visible_cohort(user: User, cohort_id: int) -> Cohort | None:
    """Return a cohort if this user may see it (admins: any; coordinators: their own)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or user.has_role(Role.ADMIN):
        return cohort
    if not user.has_role(Role.COORDINATOR):
        return None
    mine = db.session.scalar(
        select(CohortCoordinator.id).where(
            CohortCoordinator.cohort_id == cohort_id, CohortCoordinator.user_id == user.id
        )
    )
    return cohort if mine is not None else None


def members_of(cohort_id: int) -> list[User]:
    """Return a cohort's trainees, by name."""
    query = (
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(User.full_name, User.id)
    )
    return list(db.session.scalars(query))


def add_coordinator(cohort_id: int, user_id: int) -> CohortCoordinator:
    """Make a coordinator responsible for a cohort (once)."""
    user = db.session.get(User, user_id)
    if user is None or not user.has_role(Role.COORDINATOR):
        raise CohortError("Only an account with the coordinator role can coordinate a cohort.")
    found = db.session.scalar(
        select(CohortCoordinator).where(
            CohortCoordinator.cohort_id == cohort_id, CohortCoordinator.user_id == user_id
        )
    )
    if found is not None:
        raise CohortError(f"{user.full_name} already coordinates this cohort.")
    link = CohortCoordinator(cohort_id=cohort_id, user_id=user_id)
    db.session.add(link)
    db.session.flush()
    return link
