"""The audit log only grows: no route changes or removes an event, nor can the database."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from app.certification import audit, services
from app.certification.models import AttestationKind, AuditEvent, AuditLogIsAppendOnly
from tests.conftest import login


def _snapshot(session) -> list[tuple]:
    session.expire_all()
    rows = session.execute(
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor_id,
            AuditEvent.action,
            AuditEvent.subject_id,
            AuditEvent.details,
        ).order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def _urls(app, event_id: int) -> list[tuple[str, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.websocket:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(event_id), path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            calls.append((method, path))
    return calls


def test_no_route_edits_or_deletes_an_audit_event(app, client, team, session, monkeypatch):
    """Call every route with every method as every role, with the ids of audit events."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    work = services.record_attestation(
        team.trainee,
        AttestationKind.SHADOW_SHIFT,
        date.today(),
        "Sam",
        "Watched the deploy go out.",
    )
    services.decide_attestation(work.id, team.coordinator, True, "ok")
    event = audit.record(
        team.admin, "test.marker", "attestation", work.id, team.trainee.id, note="keep"
    )
    session.commit()
    before = _snapshot(session)
    assert len(before) == 3
    payload = {
        "action": "deleted",
        "details": "{}",
        "reason": "tamper with the log",
        "comment": "x",
        "decision": "reject",
        "id": str(event.id),
    }
    calls = [(method, path) for method, path in _urls(app, event.id) if path != "/logout"]
    assert len(calls) > 30
    for user in (None, team.trainee, team.coordinator, team.admin):
        if user is not None:
            login(client, user)
        for method, path in calls:
            client.open(path, method=method, data=payload)
        client.post("/logout")
    after = _snapshot(session)
    # Routes may append events (a rejection, for instance), but every earlier one is untouched.
    assert after[: len(before)] == before


def test_the_mapper_refuses_to_change_or_delete_an_event(session, team):
    audit.record(team.admin, "test.marker", "user", team.trainee.id, team.trainee.id)
    session.commit()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "test.marker"))
    event.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "test.marker"))
    session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()


def test_the_database_refuses_update_delete_and_truncate(session, team):
    audit.record(team.admin, "test.marker", "user", team.trainee.id, team.trainee.id)
    session.commit()
    for statement in (
        update(AuditEvent).values(action="rewritten"),
        delete(AuditEvent),
        text("TRUNCATE audit_events"),
    ):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)
        nested.rollback()
    assert session.scalar(select(AuditEvent.action)) == "test.marker"


def test_audit_events_name_actor_subject_and_time(session, team):
    work = services.record_attestation(
        team.trainee,
        AttestationKind.INCIDENT_RESPONSE,
        date.today(),
        "INC-7",
        "Rolled back v1.2.0 after the 500s.",
    )
    services.decide_attestation(work.id, team.coordinator, False, "Please add the timeline.")
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id, e.subject_type, e.subject_id, e.trainee_id) for e in events] == [
        ("attestation.recorded", team.trainee.id, "attestation", work.id, team.trainee.id),
        ("attestation.rejected", team.coordinator.id, "attestation", work.id, team.trainee.id),
    ]
    assert events[1].actor_name == f"Cora Coordinator <{team.coordinator.email}>"
    assert events[1].details["comment"] == "Please add the timeline."
    assert all(e.at is not None for e in events)
