"""The sign-off checklist: what a trainee has done, judged against the programme's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.certification.models import (
    AcknowledgmentSignature,
    Attestation,
    AttestationStatus,
    Certificate,
    CertificateStatus,
)
from app.certification.rules import SignoffItem, SignoffRules
from app.clock import as_utc, utcnow

# Recertification opens this many days before a certificate expires (and the expiry notice
# goes out then).
RENEWAL_WINDOW_DAYS = 30


@dataclass
class Progress:
    """What one trainee has done, gathered from every feature.

    A value of None means the feature that records it is not installed, so the item cannot be
    judged (and is therefore not met).
    """

    user_id: int
    complete_days: frozenset[str] | None
    assessment_passed: bool | None
    passed_labs: frozenset[str] | None
    attestations: list[Attestation] = field(default_factory=list)
    signatures: list[AcknowledgmentSignature] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    # The trainee's standing on each exam lab (app.labs.exam.EXAM_STATES); None: labs not
    # installed. Only "approved" (an attempt passed in time, its incident record approved) meets
    # an exam item.
    exams: dict[str, str] | None = None


# What an exam item says for each standing (app.labs.exam.EXAM_STATES).
EXAM_NOTES = {
    "approved": "passed, record approved",
    "submitted": "passed, record waiting for review",
    "returned": "passed, record returned: revise it",
    "passed": "passed, incident record to write",
    "tried": "not passed yet",
    "": "not attempted",
}


@dataclass(slots=True)
class ItemStatus:
    """How far a trainee is with one checklist item."""

    item: SignoffItem
    done: int
    total: int
    unavailable: str = ""
    note: str = ""

    @property
    def met(self) -> bool:
        """Tell whether the item is satisfied."""
        return not self.unavailable and self.done >= self.total

    @property
    def summary(self) -> str:
        """Return the item's state in a few words."""
        if self.unavailable:
            return self.unavailable
        if self.note:
            return self.note
        if self.total == 1:
            return "done" if self.met else "not yet"
        return f"{min(self.done, self.total)} of {self.total}"


@dataclass(frozen=True, slots=True)
class Checklist:
    """The whole checklist for one trainee, and whether a certificate may be issued now."""

    items: tuple[ItemStatus, ...]
    cycle: int
    since: datetime | None
    current: Certificate | None
    blocked: str = ""

    @property
    def complete(self) -> bool:
        """Tell whether every item is met."""
        return all(status.met for status in self.items)

    @property
    def missing(self) -> list[ItemStatus]:
        """Return the items not yet met."""
        return [status for status in self.items if not status.met]

    @property
    def ready(self) -> bool:
        """Tell whether a coordinator may give the final sign-off now."""
        return self.complete and not self.blocked

    def status(self, item_id: str) -> ItemStatus | None:
        """Return the status of an item by id."""
        return next((s for s in self.items if s.item.id == item_id), None)


def evaluate(rules: SignoffRules, progress: Progress, now: datetime | None = None) -> Checklist:
    """Judge a trainee's progress against every checklist item for their next certificate."""
    now = now or utcnow()
    latest = progress.certificates[-1] if progress.certificates else None
    since = as_utc(latest.issued_at) if latest is not None else None
    blocked = ""
    current = None
    if latest is not None and latest.status(now) == CertificateStatus.VALID:
        current = latest
        opens = as_utc(latest.expires_at) - timedelta(days=RENEWAL_WINDOW_DAYS)
        if now < opens:
            blocked = (
                f"Certified until {as_utc(latest.expires_at):%Y-%m-%d}; recertification opens on "
                f"{opens:%Y-%m-%d}."
            )
    statuses = tuple(
        _judge(item, progress, since if item.renew else None, rules) for item in rules.items
    )
    return Checklist(
        items=statuses,
        cycle=(latest.cycle + 1) if latest is not None else 1,
        since=since,
        current=current,
        blocked=blocked,
    )


def counted_attestations(
    item: SignoffItem, attestations: list[Attestation], since: datetime | None
) -> list[Attestation]:
    """Return the approved attestations that count toward an item in this cycle."""
    return [
        a
        for a in attestations
        if a.kind == item.attestation
        and a.status == AttestationStatus.APPROVED
        and (since is None or a.occurred_on >= since.date())
    ]


def current_signature(
    rules: SignoffRules, signatures: list[AcknowledgmentSignature], since: datetime | None
) -> AcknowledgmentSignature | None:
    """Return the signature on the current acknowledgment text made in this cycle, if any."""
    ack = rules.acknowledgment
    if ack is None:
        return None
    for signature in sorted(signatures, key=lambda s: as_utc(s.signed_at), reverse=True):
        if signature.text_sha256 != ack.sha256 or signature.version != ack.version:
            continue
        if since is None or as_utc(signature.signed_at) > since:
            return signature
    return None


def _judge(
    item: SignoffItem, progress: Progress, since: datetime | None, rules: SignoffRules
) -> ItemStatus:
    if item.kind == "days":
        if progress.complete_days is None:
            return ItemStatus(item, 0, len(item.day_ids), unavailable="lessons are not installed")
        done = sum(1 for day_id in item.day_ids if day_id in progress.complete_days)
        return ItemStatus(item, done, len(item.day_ids), note=f"{done} of {len(item.day_ids)} days")
    if item.kind == "assessment":
        if progress.assessment_passed is None:
            return ItemStatus(item, 0, 1, unavailable="quizzes are not installed")
        return ItemStatus(
            item, int(progress.assessment_passed), 1, note=_passed(progress.assessment_passed)
        )
    if item.kind == "labs":
        if progress.passed_labs is None:
            return ItemStatus(item, 0, len(item.lab_slugs), unavailable="labs are not installed")
        done = sum(1 for slug in item.lab_slugs if slug in progress.passed_labs)
        return ItemStatus(
            item, done, len(item.lab_slugs), note=f"{done} of {len(item.lab_slugs)} labs"
        )
    if item.kind == "exam":
        if progress.exams is None:
            return ItemStatus(item, 0, 1, unavailable="labs are not installed")
        state = progress.exams.get(item.lab_slugs[0], "") if item.lab_slugs else ""
        return ItemStatus(
            item, int(state == "approved"), 1, note=EXAM_NOTES.get(state, EXAM_NOTES[""])
        )
    if item.kind == "attestation":
        approved = counted_attestations(item, progress.attestations, since)
        pending = sum(
            1
            for a in progress.attestations
            if a.kind == item.attestation and a.status == AttestationStatus.PENDING
        )
        note = f"{min(len(approved), item.count)} of {item.count} approved"
        if pending:
            note += f", {pending} waiting"
        return ItemStatus(item, len(approved), item.count, note=note)
    signature = current_signature(rules, progress.signatures, since)
    if rules.acknowledgment is None:
        return ItemStatus(item, 0, 1, unavailable="the acknowledgment text is missing")
    note = f"signed version {rules.acknowledgment.version}" if signature else "not signed"
    if signature is None and any(
        s.text_sha256 != rules.acknowledgment.sha256 for s in progress.signatures
    ):
        note = f"version {rules.acknowledgment.version} is new: sign it again"
    return ItemStatus(item, int(signature is not None), 1, note=note)


def _passed(value: bool) -> str:
    return "passed" if value else "not passed yet"
