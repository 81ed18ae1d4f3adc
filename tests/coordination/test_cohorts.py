"""Admins create cohorts, add coordinators and put existing trainees in."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth.models import Role
from app.certification.models import AuditEvent
from app.coordination.models import Cohort, CohortCoordinator, CohortMember
from tests.conftest import csrf_token


def test_an_admin_creates_a_cohort_with_coordinators(client, login_as, team, session):
    login_as(team.admin)
    token = csrf_token(client, "/team/cohorts/new")
    response = client.post(
        "/team/cohorts/new",
        data={
            "name": "Cohort C",
            "start_date": "2026-12-07",
            "coordinator_ids": [str(team.coordinator.id), str(team.other_coordinator.id)],
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Cohort C"))
    assert cohort.start_date == date(2026, 12, 7)
    linked = session.scalars(
        select(CohortCoordinator.user_id).where(CohortCoordinator.cohort_id == cohort.id)
    ).all()
    assert sorted(linked) == sorted([team.coordinator.id, team.other_coordinator.id])
    assert (
        session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == cohort.id))
        == "cohort.created"
    )
    duplicate = client.post(
        "/team/cohorts/new",
        data={
            "name": "Cohort C",
            "start_date": "2026-12-07",
            "csrf_token": csrf_token(client, "/team/cohorts/new"),
        },
    )
    assert "already exists" in duplicate.get_data(as_text=True)


def test_an_admin_adds_a_coordinator_and_a_trainee(client, login_as, team, session, make_user):
    login_as(team.admin)
    page = f"/team/cohorts/{team.cohort_id}"
    response = client.post(
        f"{page}/coordinators",
        data={"user_id": team.other_coordinator.id, "csrf_token": csrf_token(client, page)},
    )
    assert response.status_code == 302
    assert session.scalar(
        select(CohortCoordinator).where(
            CohortCoordinator.cohort_id == team.cohort_id,
            CohortCoordinator.user_id == team.other_coordinator.id,
        )
    )
    newcomer = make_user(Role.TRAINEE, name="New Comer")
    client.post(
        f"{page}/members", data={"email": newcomer.email, "csrf_token": csrf_token(client, page)}
    )
    member = session.scalar(select(CohortMember).where(CohortMember.user_id == newcomer.id))
    assert member.cohort_id == team.cohort_id
    client.post(
        f"{page}/members",
        data={"email": team.coordinator.email, "csrf_token": csrf_token(client, page)},
    )
    assert (
        session.scalar(select(CohortMember).where(CohortMember.user_id == team.coordinator.id))
        is None
    )
