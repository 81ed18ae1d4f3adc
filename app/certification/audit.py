"""The append-only audit log of sign-off work: who did what, when, to whom."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.certification.models import AuditEvent
from app.extensions import db


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    trainee_id: int | None,
    **details: Any,
) -> AuditEvent:
    """Append one event to the audit log."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_name=f"{actor.full_name} <{actor.email}>" if actor is not None else "system",
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        trainee_id=trainee_id,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_for_trainee(trainee_id: int, limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events about one trainee."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.trainee_id == trainee_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
