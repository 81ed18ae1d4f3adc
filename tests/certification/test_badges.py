"""The Open Badges 2.0 hosted assertion, badge class and issuer, checked against the specification.

Required properties and their types follow the Open Badges 2.0 specification (IMS Global):
Assertion (id, type, recipient, badge, verification, issuedOn), IdentityObject (type, identity,
hashed, salt), BadgeClass (id, type, name, description, image, criteria, issuer) and the
issuer Profile (id, type, name, url, email); hosted verification needs the assertion's id to
be on the issuer's origin, and a revoked hosted assertion answers 410 Gone.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app.certification import certificates as issuing
from tests.certification.conftest import satisfy_everything
from tests.conftest import csrf_token

CONTEXT = "https://w3id.org/openbadges/v2"
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _iri(value: object) -> str:
    assert isinstance(value, str), f"{value!r} is not an IRI"
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https"), f"{value!r} is not an absolute IRI"
    assert parts.netloc, f"{value!r} is not an absolute IRI"
    return value


def _types(node: dict) -> list[str]:
    kind = node["type"]
    return [kind] if isinstance(kind, str) else list(kind)


def _fetch(client, iri: str, status: int = 200) -> dict:
    response = client.get(urlsplit(iri).path)
    assert response.status_code == status, (iri, response.status_code)
    assert response.mimetype == "application/json"
    return response.get_json()


def _datetime(value: object) -> datetime:
    assert isinstance(value, str), f"{value!r} is not an ISO 8601 DateTime"
    assert ISO_DATETIME.match(value), f"{value!r} is not an ISO 8601 DateTime"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_profile(client, iri: str) -> dict:
    """Check an issuer Profile's required properties and types."""
    profile = _fetch(client, iri)
    assert profile["@context"] == CONTEXT
    assert {"Issuer", "Profile"} & set(_types(profile))
    assert _iri(profile["id"]) == iri
    assert isinstance(profile["name"], str)
    assert profile["name"]
    _iri(profile["url"])
    assert isinstance(profile["email"], str)
    assert "@" in profile["email"]
    return profile


def check_badge_class(client, iri: str) -> dict:
    """Check a BadgeClass's required properties and types, and follow its image and issuer."""
    badge = _fetch(client, iri)
    assert badge["@context"] == CONTEXT
    assert "BadgeClass" in _types(badge)
    assert _iri(badge["id"]) == iri
    assert isinstance(badge["name"], str)
    assert badge["name"]
    assert isinstance(badge["description"], str)
    assert badge["description"]
    image = client.get(urlsplit(_iri(badge["image"])).path)
    assert image.status_code == 200
    assert image.mimetype in ("image/svg+xml", "image/png")
    criteria = badge["criteria"]
    if isinstance(criteria, str):
        _iri(criteria)
    else:
        assert isinstance(criteria, dict)
        assert criteria.get("narrative") or criteria.get("id")
        assert isinstance(criteria.get("narrative", ""), str)
    check_profile(client, _iri(badge["issuer"]))
    return badge


def check_assertion(client, iri: str, email: str) -> dict:
    """Check a hosted Assertion's required properties and types, following its links."""
    assertion = _fetch(client, iri)
    assert assertion["@context"] == CONTEXT
    assert "Assertion" in _types(assertion)
    assert _iri(assertion["id"]) == iri
    recipient = assertion["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    assert isinstance(recipient["salt"], str)
    assert recipient["salt"]
    assert re.fullmatch(r"sha256\$[0-9a-f]{64}", recipient["identity"])
    expected = hashlib.sha256((email + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert email not in str(assertion)
    assert assertion["verification"]["type"] in ("hosted", "HostedBadge")
    issued = _datetime(assertion["issuedOn"])
    expires = _datetime(assertion["expires"])
    assert expires > issued
    badge = check_badge_class(client, _iri(assertion["badge"]))
    issuer = _fetch(client, badge["issuer"])
    # Hosted verification: the assertion must live on the issuer's origin.
    assert urlsplit(assertion["id"]).netloc == urlsplit(issuer["url"]).netloc
    return assertion


@pytest.fixture
def certificate(session, team, catalog):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    issued = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    session.commit()
    return issued


def test_the_hosted_assertion_meets_open_badges_2(client, certificate, team):
    with client.application.test_request_context():
        from app.certification.links import absolute_url

        iri = absolute_url("certification.badge_assertion", code=certificate.code)
    assertion = check_assertion(client, iri, team.trainee.email)
    assert assertion["evidence"].endswith(f"/verify/{certificate.code}")
    assert client.get(urlsplit(iri).path).headers["Access-Control-Allow-Origin"] == "*"


def test_a_revoked_assertion_answers_410_with_the_reason(client, certificate, team, login_as):
    login_as(team.admin)
    token = csrf_token(client, "/admin/certificates")
    client.post(
        f"/admin/certificates/{certificate.id}/revoke",
        data={"reason": "Issued to the wrong person.", "csrf_token": token},
    )
    response = client.get(f"/badges/assertions/{certificate.code}.json")
    assert response.status_code == 410
    body = response.get_json()
    assert body["revoked"] is True
    assert body["revocationReason"] == "Issued to the wrong person."
    assert body["id"].endswith(f"/badges/assertions/{certificate.code}.json")


def test_unknown_codes_and_programmes_are_404(client):
    assert client.get("/badges/assertions/OA-0000-0000-0000.json").status_code == 404
    assert client.get("/badges/classes/no-such-programme.json").status_code == 404
