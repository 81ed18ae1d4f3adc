"""Open Badges 2.0: the hosted assertion of a certificate, its badge class and the issuer."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from app.certification.links import absolute_url
from app.certification.models import Certificate
from app.certification.rules import SignoffRules
from app.clock import as_utc

CONTEXT = "https://w3id.org/openbadges/v2"


def iso(moment: datetime) -> str:
    """Return an ISO 8601 UTC timestamp, as Open Badges expects."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def recipient_identity(email: str, salt: str) -> str:
    """Return the salted SHA-256 identity hash of a recipient's e-mail address."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def assertion(certificate: Certificate, email: str, drills: Any = None) -> dict[str, Any]:
    """Return the hosted assertion of a certificate that is not revoked.

    `drills` (app.drills.services.PublicStanding) adds whether the holder is current on the
    recurring drills: a sentence in the narrative and a `drillStanding` extension (status
    current, behind or suspended, as of when it was checked). A suspended certificate is not
    revoked: its assertion stays valid in Open Badges terms, and says it is suspended.
    """
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": absolute_url("certification.badge_assertion", code=certificate.code),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": certificate.badge_salt,
            "identity": recipient_identity(email, certificate.badge_salt),
        },
        "badge": absolute_url("certification.badge_class", programme_id=certificate.programme_id),
        "verification": {"type": "hosted"},
        "issuedOn": iso(certificate.issued_at),
        "expires": iso(certificate.expires_at),
        "evidence": absolute_url("certification.verify", code=certificate.code),
        "narrative": (
            f"Signed off by {certificate.signed_off_by} after every item of the sign-off "
            f"checklist was met (certification cycle {certificate.cycle})."
        ),
    }
    if drills is not None:
        body["narrative"] += f" {drills.words} as of {iso(drills.checked_at)}."
        body["extensions:drillStanding"] = {
            "type": ["Extension", "extensions:DrillStanding"],
            "status": drills.state,
            "current": drills.current,
            "missed": drills.missed,
            "checkedOn": iso(drills.checked_at),
        }
    return body


def revoked_assertion(certificate: Certificate) -> dict[str, Any]:
    """Return the body a revoked hosted assertion answers with (status 410)."""
    return {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": absolute_url("certification.badge_assertion", code=certificate.code),
        "revoked": True,
        "revocationReason": certificate.revocation_reason,
    }


def badge_class(rules: SignoffRules, programme_id: str) -> dict[str, Any]:
    """Return the badge class of a programme's certificate."""
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": absolute_url("certification.badge_class", programme_id=programme_id),
        "name": rules.badge.name,
        "description": rules.badge.description,
        "image": absolute_url("certification.badge_image", programme_id=programme_id),
        "criteria": {"narrative": rules.badge.criteria},
        "issuer": absolute_url("certification.badge_issuer"),
    }


def issuer_profile(rules: SignoffRules) -> dict[str, Any]:
    """Return the issuer profile."""
    return {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": absolute_url("certification.badge_issuer"),
        "name": rules.issuer.name,
        "url": rules.issuer.url,
        "email": rules.issuer.email,
    }


def badge_svg(rules: SignoffRules) -> str:
    """Draw the badge image: a shield with the badge's name."""
    words = rules.badge.name.split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(word) < 14:
            lines[-1] += " " + word
        else:
            lines.append(word)
    text = "".join(
        f'<text x="128" y="{118 + 24 * n - 12 * (len(lines) - 1)}" text-anchor="middle" '
        'font-family="sans-serif" font-size="20" font-weight="700" fill="#fff">'
        f"{escape(line)}</text>"
        for n, line in enumerate(lines[:4])
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        '<path d="M128 8 L236 48 V128 C236 188 188 228 128 248 C68 228 20 188 20 128 V48 Z" '
        'fill="#0f172a" stroke="#1f6feb" stroke-width="8"/>'
        f"{text}"
        '<path d="M92 196 l24 20 l48 -44" fill="none" stroke="#4ade80" stroke-width="10" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
        "</svg>"
    )
