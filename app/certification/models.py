"""Attested work, the audit log, acknowledgment signatures and certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import as_utc, utcnow
from app.extensions import db


class AttestationKind(enum.StrEnum):
    """Real-world work a trainee records for a coordinator to approve.

    The first two count toward the sign-off checklist; the others are recurring activities that
    certified operators record for their drills (app/drills).
    """

    SHADOW_SHIFT = "shadow_shift"
    INCIDENT_RESPONSE = "incident_response"
    TRAINING_SESSION = "training_session"
    ARCHITECTURE_REVIEW = "architecture_review"

    @property
    def label(self) -> str:
        """Return the kind as the checklist words it."""
        return {
            "shadow_shift": "Shadowed on-call shift",
            "incident_response": "Incident response",
            "training_session": "Training session",
            "architecture_review": "Architecture review",
        }[self.value]

    @property
    def counterpart_label(self) -> str:
        """Return what the counterpart field holds for this kind."""
        return {
            "shadow_shift": "Shadowed",
            "incident_response": "Incident",
            "training_session": "Led by",
            "architecture_review": "Reviewed with",
        }[self.value]


# Attested work that the sign-off checklist counts, and the recurring activities of drills.
SIGNOFF_ATTESTATION_KINDS = (AttestationKind.SHADOW_SHIFT, AttestationKind.INCIDENT_RESPONSE)
DRILL_ATTESTATION_KINDS = (AttestationKind.TRAINING_SESSION, AttestationKind.ARCHITECTURE_REVIEW)
ATTESTATION_KIND_CHECK = "kind in ({})".format(
    ", ".join(f"'{kind.value}'" for kind in AttestationKind)
)


class AttestationStatus(enum.StrEnum):
    """Where an attestation is in its approval."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Attestation(db.Model):  # type: ignore[name-defined]
    """A shadow shift or incident response: what the trainee did, what a coordinator decided."""

    __tablename__ = "attestations"
    __table_args__ = (
        CheckConstraint(ATTESTATION_KIND_CHECK, name="kind"),
        CheckConstraint("status in ('pending', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    counterpart: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=AttestationStatus.PENDING.value)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def kind_label(self) -> str:
        """Return the kind in words."""
        return AttestationKind(self.kind).label

    @property
    def counterpart_label(self) -> str:
        """Return what the counterpart field holds for this kind."""
        return AttestationKind(self.kind).counterpart_label


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """One step of sign-off work, kept forever: the table only ever grows.

    Actor and subject are plain ids with the actor's name copied in, not foreign keys, so that
    removing an account never rewrites history; the migration adds database triggers that refuse
    UPDATE and DELETE, and the mapper refuses them before they reach the database.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200), default="system")
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    trainee_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(*_: object) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(*_: object) -> None:
    raise AuditLogIsAppendOnly("audit events cannot be deleted")


class AcknowledgmentSignature(db.Model):  # type: ignore[name-defined]
    """A trainee's signature on one version of the training acknowledgment."""

    __tablename__ = "acknowledgment_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    acknowledgment_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    text_sha256: Mapped[str] = mapped_column(String(64))
    typed_name: Mapped[str] = mapped_column(String(200))
    ip_address: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CertificateStatus(enum.StrEnum):
    """What the public verify page says about a certificate."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    # Not current on its recurring drills (app/drills): restored once they are caught up.
    SUSPENDED = "suspended"


class Certificate(db.Model):  # type: ignore[name-defined]
    """A certificate of one certification cycle; recertification adds a row, history stays."""

    __tablename__ = "certificates"
    # One certificate per trainee and cycle: two sign-offs racing for the same cycle cannot
    # both commit, whatever the isolation level.
    __table_args__ = (UniqueConstraint("user_id", "cycle"), UniqueConstraint("code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    recipient_name: Mapped[str] = mapped_column(String(200))
    programme_id: Mapped[str] = mapped_column(String(100))
    programme_title: Mapped[str] = mapped_column(String(200))
    content_version: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_off_by: Mapped[str] = mapped_column(String(200))
    badge_salt: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    expiry_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while the holder is behind on recurring drills (app/drills), cleared when caught up.
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    # How many times completing every drill of a year extended expires_at (app/drills).
    drill_extensions: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def status(self, now: datetime | None = None) -> CertificateStatus:
        """Return valid, suspended, expired or revoked as of now."""
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        if as_utc(self.expires_at) <= (now or utcnow()):
            return CertificateStatus.EXPIRED
        if self.suspended_at is not None:
            return CertificateStatus.SUSPENDED
        return CertificateStatus.VALID
