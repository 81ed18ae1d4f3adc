"""Signing the acknowledgment: the typed name must be the account's; new versions are re-signed."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy import select

from app.certification.certificates import checklist_for
from app.certification.models import AcknowledgmentSignature, AuditEvent
from app.certification.rules import rules_of
from app.certification.services import names_match
from tests.conftest import csrf_token


def _sign(client, name):
    token = csrf_token(client, "/signoff/acknowledgment")
    return client.post("/signoff/acknowledgment", data={"typed_name": name, "csrf_token": token})


def test_the_page_shows_the_text_and_its_version(client, login_as, team, catalog):
    login_as(team.trainee)
    page = client.get("/signoff/acknowledgment").get_data(as_text=True)
    ack = rules_of(catalog).acknowledgment
    assert ack.title in page
    assert f"Version {ack.version}" in page
    assert "escalation path" in page


def test_a_name_that_is_not_the_accounts_is_refused(client, login_as, team, session):
    login_as(team.trainee)
    response = _sign(client, "Someone Else")
    assert response.status_code == 422
    assert "exactly as your account shows it" in response.get_data(as_text=True)
    assert session.scalar(select(AcknowledgmentSignature)) is None


def test_signing_records_version_hash_time_and_address(client, login_as, team, session, catalog):
    login_as(team.trainee)
    response = _sign(client, "  thandi   TRAINEE ")
    assert response.status_code == 302
    signature = session.scalar(select(AcknowledgmentSignature))
    ack = rules_of(catalog).acknowledgment
    assert (signature.user_id, signature.version, signature.text_sha256) == (
        team.trainee.id,
        ack.version,
        ack.sha256,
    )
    assert signature.typed_name == "thandi TRAINEE"
    assert signature.ip_address == "127.0.0.1"
    assert signature.signed_at is not None
    assert checklist_for(team.trainee.id, catalog).status("acknowledgment").met
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "acknowledgment.signed"))
    assert event.details["sha256"] == ack.sha256
    again = _sign(client, "Thandi Trainee")
    assert again.status_code == 422
    assert "already signed" in again.get_data(as_text=True)


def test_a_new_version_must_be_signed_again(client, login_as, team, session, catalog, monkeypatch):
    login_as(team.trainee)
    assert _sign(client, "Thandi Trainee").status_code == 302
    rules = rules_of(catalog)
    text = rules.acknowledgment.text + "\n15. I will also read the new runbook.\n"
    newer = replace(
        rules.acknowledgment,
        version="2",
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    monkeypatch.setitem(catalog.sections, "signoff", replace(rules, acknowledgment=newer))
    status = checklist_for(team.trainee.id, catalog).status("acknowledgment")
    assert not status.met
    assert status.summary == "version 2 is new: sign it again"
    assert "version 2 is new" in client.get("/signoff").get_data(as_text=True)
    assert _sign(client, "Thandi Trainee").status_code == 302
    assert checklist_for(team.trainee.id, catalog).status("acknowledgment").met
    versions = session.scalars(
        select(AcknowledgmentSignature.version).order_by(AcknowledgmentSignature.id)
    ).all()
    assert versions == [rules.acknowledgment.version, "2"]


def test_names_match_ignores_case_and_spacing_only():
    assert names_match("ada  LOVELACE", "Ada Lovelace")
    assert not names_match("Ada Lovelac", "Ada Lovelace")
    assert not names_match("", "")


def test_only_trainees_sign(client, login_as, team):
    login_as(team.coordinator)
    assert client.get("/signoff/acknowledgment").status_code == 403
