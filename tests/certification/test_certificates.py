"""Issuing certificates: all items, then a coordinator's sign-off; expiry, renewal, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.certification import certificates as issuing
from app.certification.models import AttestationKind, AuditEvent, Certificate
from app.certification.services import SignoffError
from app.clock import as_utc, utcnow
from tests.certification.conftest import (
    approve_exams,
    approved_work,
    complete_lessons,
    pass_assessment,
    pass_day_quizzes,
    pass_labs,
    satisfy_everything,
    sign,
)
from tests.conftest import csrf_token


def _count(session) -> int:
    return session.scalar(select(func.count(Certificate.id)))


def _refused(team, catalog, session, *missing: str) -> None:
    with pytest.raises(SignoffError) as refused:
        issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    for title in missing:
        assert title in str(refused.value)
    assert _count(session) == 0


def test_no_certificate_while_any_item_is_missing(session, team, catalog):
    trainee, coordinator = team.trainee, team.coordinator
    _refused(
        team,
        catalog,
        session,
        "Completed all 10 days",
        "knowledge assessment",
        "must-perform",
        "Signed",
    )
    complete_lessons(trainee.id, catalog)
    pass_day_quizzes(trainee.id, catalog)
    _refused(team, catalog, session, "knowledge assessment")
    pass_assessment(trainee.id, catalog)
    pass_labs(trainee.id, catalog)
    approved_work(trainee, coordinator, AttestationKind.SHADOW_SHIFT, 2)
    approved_work(trainee, coordinator, AttestationKind.INCIDENT_RESPONSE, 2)
    _refused(
        team,
        catalog,
        session,
        "Passed the timed practical exam (passed, incident record to write)",
        "Responded to 3 real incidents with guidance (2 of 3 approved)",
        "Signed the training",
    )
    approve_exams(trainee, coordinator, catalog)
    approved_work(trainee, coordinator, AttestationKind.INCIDENT_RESPONSE, 1)
    _refused(team, catalog, session, "Signed the training acknowledgment (not signed)")
    sign(trainee, catalog)
    certificate = issuing.issue_certificate(trainee.id, coordinator, catalog)
    assert certificate.cycle == 1
    assert [item["done"] >= item["total"] for item in certificate.evidence["items"]] == [True] * 7


def test_the_coordinator_signs_off_and_the_certificate_is_issued(
    client, login_as, team, catalog, session, outbox
):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    session.commit()
    outbox.clear()
    login_as(team.coordinator)
    page = client.get(f"/team/trainees/{team.trainee.id}").get_data(as_text=True)
    assert "Give final sign-off" in page
    token = csrf_token(client, f"/team/trainees/{team.trainee.id}")
    response = client.post(f"/trainees/{team.trainee.id}/certificate", data={"csrf_token": token})
    assert response.status_code == 302
    certificate = session.scalar(select(Certificate))
    assert certificate.user_id == team.trainee.id
    assert certificate.recipient_name == "Thandi Trainee"
    assert certificate.signed_off_by == "Cora Coordinator"
    assert certificate.content_version == catalog.version
    assert as_utc(certificate.expires_at) - as_utc(certificate.issued_at) >= timedelta(days=365)
    assert certificate.code.startswith("OA-")
    assert len(certificate.code) == 17
    assert {n.to for n in outbox} == {team.trainee.email, team.coordinator.email}
    assert any(f"/verify/{certificate.code}" in n.body for n in outbox)
    assert session.scalar(
        select(AuditEvent).where(AuditEvent.action == "certificate.issued")
    ).actor_id == (team.coordinator.id)
    # A second press issues nothing more: the trainee holds a valid certificate.
    token = csrf_token(client, f"/team/trainees/{team.trainee.id}")
    client.post(f"/trainees/{team.trainee.id}/certificate", data={"csrf_token": token})
    assert _count(session) == 1


def test_only_the_trainees_own_coordinators_can_sign_off(client, login_as, team, catalog, session):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    session.commit()
    login_as(team.other_coordinator)
    token = csrf_token(client, "/team")
    assert (
        client.post(
            f"/trainees/{team.trainee.id}/certificate", data={"csrf_token": token}
        ).status_code
        == 404
    )
    with pytest.raises(SignoffError):
        issuing.issue_certificate(team.trainee.id, team.other_coordinator, catalog)
    client.post("/logout", data={"csrf_token": token})
    login_as(team.trainee)
    token = csrf_token(client, "/signoff")
    assert (
        client.post(
            f"/trainees/{team.trainee.id}/certificate", data={"csrf_token": token}
        ).status_code
        == 403
    )
    assert _count(session) == 0


def test_verify_page_shows_valid_expired_and_revoked(
    client, team, catalog, session, login_as, outbox
):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    certificate = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    session.commit()
    page = client.get(f"/verify/{certificate.code}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-status="valid"' in body
    assert "Thandi Trainee" in body
    assert team.trainee.email not in body
    assert client.get(f"/verify/{certificate.code.lower()}").status_code == 200
    assert client.get("/verify/OA-NOPE-NOPE-NOPE").status_code == 404

    certificate.expires_at = utcnow() - timedelta(days=1)
    session.commit()
    assert 'data-status="expired"' in client.get(f"/verify/{certificate.code}").get_data(
        as_text=True
    )

    login_as(team.coordinator)
    token = csrf_token(client, "/team")
    assert (
        client.post(
            f"/admin/certificates/{certificate.id}/revoke",
            data={"reason": "x" * 10, "csrf_token": token},
        ).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})
    login_as(team.admin)
    token = csrf_token(client, "/admin/certificates")
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke",
        data={"reason": "Evidence for an incident response was fabricated.", "csrf_token": token},
    )
    assert response.status_code == 302
    body = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert 'data-status="revoked"' in body
    assert "fabricated" in body
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
    assert event.actor_id == team.admin.id
    assert "fabricated" in event.details["reason"]
    assert outbox[-1].to == team.trainee.email
    assert "revoked" in outbox[-1].subject


def test_pdf_carries_the_code_and_a_qr_code_of_the_verify_url(
    client, login_as, team, catalog, session, tmp_path
):
    from app.certification.links import absolute_url
    from app.certification.pdf import qr_matrix

    satisfy_everything(team.trainee, team.coordinator, catalog)
    certificate = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    session.commit()
    login_as(team.trainee)
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    with client.application.test_request_context():
        verify = absolute_url("certification.verify", code=certificate.code)
    assert verify.startswith("http")
    assert verify.endswith(f"/verify/{certificate.code}")
    assert verify.encode() in data  # the PDF's subject names the URL its QR code holds
    matrix = qr_matrix(verify)
    assert len(matrix) >= 21
    assert all(len(row) == len(matrix) for row in matrix)
    (tmp_path / "certificate.pdf").write_bytes(data)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/signoff")})
    login_as(team.other_coordinator)
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 404


def test_recertification_opens_before_expiry_and_keeps_the_history(session, team, catalog):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    first = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    checklist = issuing.checklist_for(team.trainee.id, catalog)
    assert checklist.current == first
    assert "recertification opens" in checklist.blocked
    with pytest.raises(SignoffError, match="Certified until"):
        issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)

    renewal = as_utc(first.expires_at) - timedelta(days=10)
    later = issuing.checklist_for(team.trainee.id, catalog, renewal)
    assert later.cycle == 2
    assert not later.blocked
    missing = {s.item.id for s in later.missing}
    assert missing == {"shadow-shifts", "incident-responses", "acknowledgment"}
    with pytest.raises(SignoffError, match="Not every item is met"):
        issuing.issue_certificate(team.trainee.id, team.coordinator, catalog, renewal)

    # Fresh attested work and a fresh signature for the new cycle (dated after the first issue).
    from app.certification import services as signoff
    from app.certification.models import AcknowledgmentSignature

    for kind, count in ((AttestationKind.SHADOW_SHIFT, 2), (AttestationKind.INCIDENT_RESPONSE, 3)):
        for n in range(count):
            work = signoff.record_attestation(
                team.trainee,
                kind,
                renewal.date() - timedelta(days=n),
                f"Ref {n}",
                "Handled the pager alone.",
                today=renewal.date(),
            )
            signoff.decide_attestation(work.id, team.coordinator, True, "")
    signoff.sign_acknowledgment(
        team.trainee, issuing.rules_of(catalog), "Thandi Trainee", "192.0.2.1", later.since, renewal
    )
    second = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog, renewal)
    assert (first.cycle, second.cycle) == (1, 2)
    assert as_utc(second.issued_at) == renewal
    assert session.scalar(select(func.count(AcknowledgmentSignature.id))) == 2
    assert [c.cycle for c in session.scalars(select(Certificate).order_by(Certificate.cycle))] == [
        1,
        2,
    ]


def test_expiry_notices_go_out_once(app, session, team, catalog, outbox):
    satisfy_everything(team.trainee, team.coordinator, catalog)
    certificate = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    session.commit()
    outbox.clear()
    assert issuing.notify_expiring(utcnow()) == []
    soon = as_utc(certificate.expires_at) - timedelta(days=20)
    told = issuing.notify_expiring(soon)
    assert told == [certificate]
    assert {n.to for n in outbox} == {team.trainee.email, team.coordinator.email}
    assert "expires on" in outbox[0].subject
    assert issuing.notify_expiring(soon + timedelta(days=1)) == []
    assert len(outbox) == 2
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.expiry_notified")
    ).all()
    assert len(events) == 1


def test_notify_expiring_command_is_idempotent(app, session, team, catalog, outbox):
    from click.testing import CliRunner

    from app.certification.cli import notify_expiring

    satisfy_everything(team.trainee, team.coordinator, catalog)
    certificate = issuing.issue_certificate(team.trainee.id, team.coordinator, catalog)
    certificate.expires_at = utcnow() + timedelta(days=12)
    session.commit()
    outbox.clear()
    runner = CliRunner()
    first = runner.invoke(notify_expiring, [], obj=_script_info(app))
    assert first.exit_code == 0, first.output
    assert f"notified {certificate.code}" in first.output
    second = runner.invoke(notify_expiring, [], obj=_script_info(app))
    assert second.exit_code == 0, second.output
    assert "0 expiry notice(s) sent" in second.output
    assert len([n for n in outbox if n.to == team.trainee.email]) == 1


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
