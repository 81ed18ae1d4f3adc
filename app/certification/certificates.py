"""Issuing, revoking and expiring certificates."""

from __future__ import annotations

import calendar
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.certification import audit
from app.certification.checklist import RENEWAL_WINDOW_DAYS, Checklist, evaluate
from app.certification.links import absolute_url
from app.certification.models import Certificate
from app.certification.rules import SignoffRules, rules_of
from app.certification.services import SignoffError
from app.certification.sources import progress_of
from app.clock import as_utc, utcnow
from app.content import Catalog
from app.coordination.services import coordinators_of, is_cohort_coordinator
from app.extensions import db
from app.notifications import notify

# Crockford's base32 without the letters people misread (I, L, O, U).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code() -> str:
    """Return a fresh, hard-to-guess certificate code such as OA-7K2M-9QXT-4HBD."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"OA-{body[0:4]}-{body[4:8]}-{body[8:12]}"


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day and time some months later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def find_by_code(code: str) -> Certificate | None:
    """Return the certificate with this code (codes are matched without regard to case)."""
    return db.session.scalar(select(Certificate).where(Certificate.code == code.strip().upper()))


def checklist_for(trainee_id: int, catalog: Catalog, now: datetime | None = None) -> Checklist:
    """Return the trainee's checklist toward their next certificate."""
    return evaluate(rules_of(catalog), progress_of(trainee_id, catalog), now)


def issue_certificate(
    trainee_id: int, signer: User, catalog: Catalog, now: datetime | None = None
) -> Certificate:
    """Give the final sign-off and issue the certificate, all or nothing.

    The trainee's account row is locked first, so concurrent sign-offs for one trainee run one
    after the other and each judges the checklist on committed data; the (user, cycle) unique
    constraint is the last word if anything still races.
    """
    now = now or utcnow()
    trainee = db.session.scalar(
        select(User)
        .where(User.id == trainee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if trainee is None or not trainee.has_role(Role.TRAINEE):
        raise LookupError("no such trainee")
    if not (is_cohort_coordinator(signer, trainee.id) or signer.has_role(Role.ADMIN)):
        raise SignoffError(
            "Only a coordinator of the trainee's cohort can give the final sign-off."
        )
    rules = rules_of(catalog)
    checklist = checklist_for(trainee.id, catalog, now)
    if checklist.blocked:
        raise SignoffError(checklist.blocked)
    if not checklist.complete:
        missing = "; ".join(f"{s.item.title} ({s.summary})" for s in checklist.missing)
        raise SignoffError(f"Not every item is met: {missing}.")
    certificate = Certificate(
        code=new_code(),
        user_id=trainee.id,
        cycle=checklist.cycle,
        recipient_name=trainee.full_name,
        programme_id=catalog.programme.id,
        programme_title=catalog.programme.title,
        content_version=catalog.version,
        issued_at=now,
        expires_at=add_months(now, rules.validity_months),
        issued_by_id=signer.id,
        signed_off_by=signer.full_name,
        badge_salt=secrets.token_hex(16),
        evidence=_evidence(checklist),
        revocation_reason="",
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        raise SignoffError("A certificate for this trainee was issued a moment ago.") from None
    audit.record(
        signer,
        "certificate.issued",
        "certificate",
        certificate.id,
        trainee.id,
        code=certificate.code,
        cycle=certificate.cycle,
        expires_at=certificate.expires_at.isoformat(),
        content_version=catalog.version,
    )
    _announce_issue(certificate, trainee, rules)
    _report(trainee, "earned", certificate)
    return certificate


def _report(holder: User, verb: str, certificate: Certificate, reason: str = "") -> None:
    """Tell the learning record store (when there is one) about a certificate event."""
    from app.xapi import statements

    if statements.enabled():
        title = "ImpactLink production operator certificate"
        statements.certificate_event(holder, verb, certificate.code, title, reason)


def _evidence(checklist: Checklist) -> dict[str, object]:
    return {
        "items": [
            {
                "id": s.item.id,
                "title": s.item.title,
                "done": s.done,
                "total": s.total,
                "summary": s.summary,
            }
            for s in checklist.items
        ],
        "since": checklist.since.isoformat() if checklist.since else None,
    }


def _announce_issue(certificate: Certificate, trainee: User, rules: SignoffRules) -> None:
    verify = absolute_url("certification.verify", code=certificate.code)
    notify(
        trainee.email,
        f"Your certificate: {rules.badge.name}",
        f"Congratulations, {trainee.full_name}. {certificate.signed_off_by} gave your final "
        f"sign-off and your certificate {certificate.code} is issued, valid until "
        f"{as_utc(certificate.expires_at):%Y-%m-%d}.\n\nAnyone can check it here: {verify}\n"
        f"Download the PDF: {absolute_url('certification.certificate_pdf', code=certificate.code)}",
    )
    for coordinator in coordinators_of(trainee.id):
        notify(
            coordinator.email,
            f"Certificate issued to {trainee.full_name}",
            f"Certificate {certificate.code} was issued to {trainee.full_name} "
            f"(signed off by {certificate.signed_off_by}): {verify}",
        )


def revoke_certificate(
    certificate_id: int, admin: User, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke a certificate with a reason that its public pages show."""
    if not admin.has_role(Role.ADMIN):
        raise SignoffError("Only an admin can revoke a certificate.")
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.id == certificate_id).with_for_update()
    )
    if certificate is None:
        raise LookupError("no such certificate")
    if certificate.revoked_at is not None:
        raise SignoffError("This certificate is already revoked.")
    reason = reason.strip()
    if len(reason) < 5:
        raise SignoffError("Give the reason for revoking: it is shown on the public pages.")
    certificate.revoked_at = now or utcnow()
    certificate.revoked_by_id = admin.id
    certificate.revocation_reason = reason[:1000]
    db.session.flush()
    audit.record(
        admin,
        "certificate.revoked",
        "certificate",
        certificate.id,
        certificate.user_id,
        code=certificate.code,
        reason=certificate.revocation_reason,
    )
    holder = db.session.get(User, certificate.user_id)
    if holder is not None:
        _report(holder, "revoked", certificate, certificate.revocation_reason)
        notify(
            holder.email,
            f"Certificate {certificate.code} revoked",
            f"Your certificate {certificate.code} was revoked. "
            f"Reason: {certificate.revocation_reason}",
        )
    return certificate


def expiring(now: datetime, days: int = RENEWAL_WINDOW_DAYS) -> list[Certificate]:
    """Return the newest certificates that expire within days and whose holder has not been told."""
    newest = (
        select(Certificate.user_id, func.max(Certificate.cycle).label("cycle"))
        .group_by(Certificate.user_id)
        .subquery()
    )
    query = (
        select(Certificate)
        .join(
            newest,
            (newest.c.user_id == Certificate.user_id) & (newest.c.cycle == Certificate.cycle),
        )
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expiry_notified_at.is_(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=days),
        )
        .order_by(Certificate.expires_at)
    )
    return list(db.session.scalars(query))


def notify_expiring(
    now: datetime | None = None, days: int = RENEWAL_WINDOW_DAYS
) -> list[Certificate]:
    """Tell holders (and their coordinators) once that their certificate expires soon."""
    now = now or utcnow()
    told = []
    for certificate in expiring(now, days):
        holder = db.session.get(User, certificate.user_id)
        certificate.expiry_notified_at = now
        if holder is None:
            continue
        ends = as_utc(certificate.expires_at)
        left = max(0, (ends - now).days)
        checklist = absolute_url("certification.checklist")
        notify(
            holder.email,
            f"Your certificate {certificate.code} expires on {ends:%Y-%m-%d}",
            f"Your certificate {certificate.code} ({certificate.programme_title}) expires in "
            f"{left} days, on {ends:%Y-%m-%d}. Recertification is open now: {checklist}",
        )
        for coordinator in coordinators_of(holder.id):
            notify(
                coordinator.email,
                f"{holder.full_name}'s certificate expires on {ends:%Y-%m-%d}",
                f"Certificate {certificate.code} of {holder.full_name} expires in {left} days.",
            )
        audit.record(
            None,
            "certificate.expiry_notified",
            "certificate",
            certificate.id,
            certificate.user_id,
            code=certificate.code,
            expires_at=ends.isoformat(),
        )
        told.append(certificate)
    db.session.flush()
    return told
