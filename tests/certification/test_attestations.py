"""Attested work: trainees record it, their cohort's coordinator decides, every step is audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.certification import services
from app.certification.models import Attestation, AttestationKind, AuditEvent
from tests.conftest import csrf_token


def _record(client, **fields):
    data = {
        "kind": "shadow_shift",
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "counterpart": "Sam On-call",
        "description": "Shadowed the night shift: two disk alerts, one slow-query page.",
        "csrf_token": csrf_token(client, "/signoff"),
    }
    data.update(fields)
    return client.post("/signoff/attestations", data=data)


def test_trainee_records_work_and_the_coordinators_are_asked(
    client, login_as, team, session, outbox
):
    login_as(team.trainee)
    response = _record(client)
    assert response.status_code == 302
    attestation = session.scalar(select(Attestation).where(Attestation.user_id == team.trainee.id))
    assert attestation.status == "pending"
    assert attestation.counterpart == "Sam On-call"
    assert [n.to for n in outbox] == [team.coordinator.email]
    assert "Waiting for your approval" in outbox[0].subject
    assert "/team/approvals" in outbox[0].body
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "attestation.recorded"))
    assert event.actor_id == team.trainee.id
    assert event.trainee_id == team.trainee.id
    page = client.get("/signoff").get_data(as_text=True)
    assert "Sam On-call" in page
    assert "0 of 2 approved, 1 waiting" in page


def test_bad_input_is_refused_and_nothing_is_saved(client, login_as, team, session):
    login_as(team.trainee)
    future = (date.today() + timedelta(days=2)).isoformat()
    assert _record(client, occurred_on=future).status_code == 422
    assert _record(client, description="too short").status_code == 422
    assert _record(client, kind="coffee_break").status_code == 422
    assert session.scalar(select(Attestation)) is None


def test_coordinator_approves_with_a_comment_and_it_counts(client, login_as, team, session):
    attestation = services.record_attestation(
        team.trainee,
        AttestationKind.INCIDENT_RESPONSE,
        date.today(),
        "INC-2211",
        "Restarted the API after the 502s.",
    )
    session.commit()
    login_as(team.coordinator)
    queue = client.get("/team/approvals").get_data(as_text=True)
    assert "INC-2211" in queue
    response = client.post(
        f"/attestations/{attestation.id}/decision",
        data={
            "decision": "approve",
            "comment": "Good call.",
            "csrf_token": csrf_token(client, "/team/approvals"),
        },
    )
    assert response.status_code == 302
    session.refresh(attestation)
    assert (attestation.status, attestation.reviewer_id, attestation.review_comment) == (
        "approved",
        team.coordinator.id,
        "Good call.",
    )
    assert attestation.reviewed_at is not None
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["attestation.recorded", "attestation.approved"]
    assert "INC-2211" not in client.get("/team/approvals").get_data(as_text=True)


def test_rejection_needs_a_comment_and_a_decision_is_final(session, team):
    attestation = services.record_attestation(
        team.trainee,
        AttestationKind.SHADOW_SHIFT,
        date.today(),
        "Sam",
        "Watched the deploy of v1.1.0 go out.",
    )
    with pytest.raises(services.SignoffError, match="Say why"):
        services.decide_attestation(attestation.id, team.coordinator, False, "  ")
    services.decide_attestation(attestation.id, team.coordinator, False, "That was a day shift.")
    assert attestation.status == "rejected"
    with pytest.raises(services.SignoffError, match="already rejected"):
        services.decide_attestation(attestation.id, team.coordinator, True, "")


def test_a_trainee_cannot_approve_their_own_work(client, login_as, team, session):
    attestation = services.record_attestation(
        team.trainee,
        AttestationKind.SHADOW_SHIFT,
        date.today(),
        "Sam",
        "Watched the deploy of v1.1.0 go out.",
    )
    session.commit()
    login_as(team.trainee)
    response = client.post(
        f"/attestations/{attestation.id}/decision",
        data={"decision": "approve", "csrf_token": csrf_token(client, "/signoff")},
    )
    assert response.status_code == 403
    assert client.get("/team/approvals").status_code == 403
    with pytest.raises(LookupError):
        services.decide_attestation(attestation.id, team.trainee, True, "")
    session.refresh(attestation)
    assert attestation.status == "pending"


def test_another_cohorts_coordinator_can_neither_see_nor_approve(client, login_as, team, session):
    attestation = services.record_attestation(
        team.trainee,
        AttestationKind.SHADOW_SHIFT,
        date.today(),
        "Sam",
        "Watched the deploy of v1.1.0 go out.",
    )
    session.commit()
    login_as(team.other_coordinator)
    assert "Sam" not in client.get("/team/approvals").get_data(as_text=True)
    response = client.post(
        f"/attestations/{attestation.id}/decision",
        data={"decision": "approve", "csrf_token": csrf_token(client, "/team/approvals")},
    )
    assert response.status_code == 404
    assert client.get(f"/team/trainees/{team.trainee.id}").status_code == 404
    session.refresh(attestation)
    assert attestation.status == "pending"
    assert services.pending_for(team.other_coordinator) == []
    assert services.pending_for(team.admin) == [attestation]


def test_an_admin_who_is_also_the_subject_cannot_approve_it(session, team, make_user):
    from app.auth.models import Role

    admin = make_user(Role.ADMIN)
    attestation = Attestation(
        user_id=admin.id,
        kind="shadow_shift",
        occurred_on=date.today(),
        counterpart="x",
        description="y" * 30,
        status="pending",
        review_comment="",
    )
    session.add(attestation)
    session.flush()
    with pytest.raises(services.SignoffError, match="your own work"):
        services.decide_attestation(attestation.id, admin, True, "")
