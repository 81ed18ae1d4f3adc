"""Attested work and the acknowledgment. Operations flush; the request or command commits."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from app.auth.models import Role, User
from app.certification import audit
from app.certification.checklist import current_signature
from app.certification.links import absolute_url
from app.certification.models import (
    AcknowledgmentSignature,
    Attestation,
    AttestationKind,
    AttestationStatus,
    Certificate,
)
from app.certification.rules import SignoffRules
from app.clock import utcnow
from app.coordination.models import CohortCoordinator, CohortMember
from app.coordination.services import can_oversee, coordinators_of
from app.extensions import db
from app.notifications import notify

MAX_TEXT = 4000


class SignoffError(ValueError):
    """A sign-off operation was refused; the message is safe to show."""


def attestations_of(user_id: int) -> list[Attestation]:
    """Return a trainee's attestations, newest first."""
    query = (
        select(Attestation)
        .where(Attestation.user_id == user_id)
        .order_by(Attestation.occurred_on.desc(), Attestation.id.desc())
    )
    return list(db.session.scalars(query))


def signatures_of(user_id: int) -> list[AcknowledgmentSignature]:
    """Return a trainee's acknowledgment signatures, oldest first."""
    query = (
        select(AcknowledgmentSignature)
        .where(AcknowledgmentSignature.user_id == user_id)
        .order_by(AcknowledgmentSignature.signed_at, AcknowledgmentSignature.id)
    )
    return list(db.session.scalars(query))


def certificates_of(user_id: int) -> list[Certificate]:
    """Return a trainee's certificates, one per cycle, oldest first."""
    query = select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.cycle)
    return list(db.session.scalars(query))


def record_attestation(
    trainee: User,
    kind: AttestationKind,
    occurred_on: date,
    counterpart: str,
    description: str,
    today: date | None = None,
) -> Attestation:
    """Record a shadow shift or incident response and ask the coordinators to approve it."""
    if not trainee.has_role(Role.TRAINEE):
        raise SignoffError("Only trainees record attested work.")
    if occurred_on > (today or utcnow().date()):
        raise SignoffError("The date cannot be in the future.")
    counterpart = counterpart.strip()
    description = description.strip()
    if not counterpart:
        raise SignoffError(
            {
                AttestationKind.SHADOW_SHIFT: "Say whom you shadowed.",
                AttestationKind.INCIDENT_RESPONSE: "Give the incident's reference.",
                AttestationKind.TRAINING_SESSION: "Say who led the session.",
                AttestationKind.ARCHITECTURE_REVIEW: "Say whom you reviewed it with.",
            }[AttestationKind(kind)]
        )
    if len(description) < 20:
        raise SignoffError("Describe what you did in at least a sentence (20 characters).")
    attestation = Attestation(
        user_id=trainee.id,
        kind=AttestationKind(kind).value,
        occurred_on=occurred_on,
        counterpart=counterpart[:200],
        description=description[:MAX_TEXT],
        status=AttestationStatus.PENDING.value,
        review_comment="",
    )
    db.session.add(attestation)
    db.session.flush()
    audit.record(
        trainee,
        "attestation.recorded",
        "attestation",
        attestation.id,
        trainee.id,
        kind=attestation.kind,
        occurred_on=occurred_on.isoformat(),
        counterpart=attestation.counterpart,
    )
    link = absolute_url("coordination.approvals")
    for coordinator in coordinators_of(trainee.id):
        notify(
            coordinator.email,
            f"Waiting for your approval: {attestation.kind_label.lower()} by {trainee.full_name}",
            f"{trainee.full_name} recorded work that waits for your approval:\n"
            f"{attestation.kind_label} on {occurred_on:%Y-%m-%d} "
            f"({attestation.counterpart_label.lower()}: {attestation.counterpart}).\n\n"
            f"Approve or reject it here: {link}",
        )
    return attestation


def decide_attestation(
    attestation_id: int, reviewer: User, approve: bool, comment: str, now: datetime | None = None
) -> Attestation:
    """Approve or reject a pending attestation as a coordinator of the trainee's cohort."""
    attestation = db.session.scalar(
        select(Attestation).where(Attestation.id == attestation_id).with_for_update()
    )
    if attestation is None or not can_oversee(reviewer, attestation.user_id):
        raise LookupError("no such attestation")
    if attestation.user_id == reviewer.id:
        raise SignoffError("You cannot approve your own work.")
    if attestation.status != AttestationStatus.PENDING:
        raise SignoffError(f"This attestation was already {attestation.status}.")
    comment = comment.strip()
    if not approve and not comment:
        raise SignoffError("Say why you reject it: the trainee reads your comment.")
    attestation.status = (
        AttestationStatus.APPROVED if approve else AttestationStatus.REJECTED
    ).value
    attestation.reviewer_id = reviewer.id
    attestation.review_comment = comment[:MAX_TEXT]
    attestation.reviewed_at = now or utcnow()
    db.session.flush()
    audit.record(
        reviewer,
        f"attestation.{attestation.status}",
        "attestation",
        attestation.id,
        attestation.user_id,
        kind=attestation.kind,
        comment=attestation.review_comment,
    )
    trainee = db.session.get(User, attestation.user_id)
    if trainee is not None:
        notify(
            trainee.email,
            f"Your {attestation.kind_label.lower()} was {attestation.status}",
            f"{reviewer.full_name} {attestation.status} your {attestation.kind_label.lower()} of "
            f"{attestation.occurred_on:%Y-%m-%d}."
            + (f"\n\nComment: {attestation.review_comment}" if attestation.review_comment else "")
            + f"\n\nYour checklist: {absolute_url('certification.checklist')}",
        )
    return attestation


def pending_for(reviewer: User) -> list[Attestation]:
    """Return the attestations waiting for this coordinator (or any, for an admin), oldest first."""
    query = (
        select(Attestation)
        .where(Attestation.status == AttestationStatus.PENDING.value)
        .order_by(Attestation.created_at, Attestation.id)
    )
    if not reviewer.has_role(Role.ADMIN):
        query = (
            query.join(CohortMember, CohortMember.user_id == Attestation.user_id)
            .join(CohortCoordinator, CohortCoordinator.cohort_id == CohortMember.cohort_id)
            .where(CohortCoordinator.user_id == reviewer.id)
        )
    return list(db.session.scalars(query))


def names_match(typed: str, full_name: str) -> bool:
    """Tell whether a typed name is the account's name, ignoring case and extra spaces."""

    def canonical(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip().casefold()

    return bool(canonical(typed)) and canonical(typed) == canonical(full_name)


def sign_acknowledgment(
    trainee: User,
    rules: SignoffRules,
    typed_name: str,
    ip_address: str,
    since: datetime | None,
    now: datetime | None = None,
) -> AcknowledgmentSignature:
    """Sign the current acknowledgment text by typing one's full name."""
    ack = rules.acknowledgment
    if ack is None:
        raise SignoffError("There is no acknowledgment to sign.")
    if not names_match(typed_name, trainee.full_name):
        raise SignoffError(
            "Type your full name exactly as your account shows it: " + trainee.full_name
        )
    if current_signature(rules, signatures_of(trainee.id), since) is not None:
        raise SignoffError(f"You have already signed version {ack.version}.")
    signature = AcknowledgmentSignature(
        user_id=trainee.id,
        acknowledgment_id=ack.id,
        version=ack.version,
        text_sha256=ack.sha256,
        typed_name=re.sub(r"\s+", " ", typed_name).strip()[:200],
        ip_address=(ip_address or "unknown")[:64],
        signed_at=now or utcnow(),
    )
    db.session.add(signature)
    db.session.flush()
    audit.record(
        trainee,
        "acknowledgment.signed",
        "acknowledgment_signature",
        signature.id,
        trainee.id,
        version=ack.version,
        sha256=ack.sha256,
        ip_address=signature.ip_address,
    )
    return signature
