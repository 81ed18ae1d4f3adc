"""The holder's drills page, the coordinators' view and its CSV: who may see what, CSRF on
every form, the navigation link for holders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.certification.models import Attestation
from app.clock import utcnow
from app.extensions import db
from tests.conftest import csrf_token


@pytest.fixture
def holder(team, certify):
    """The team's trainee, certified about four months ago (so drills have fallen due)."""
    return certify(team.trainee, issued=utcnow() - timedelta(days=120))


def test_the_drills_link_shows_for_holders_only(client, login_as, team, make_user, holder):
    login_as(team.trainee)
    assert 'href="/drills"' in client.get("/plan").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    newcomer = make_user(Role.TRAINEE)
    login_as(newcomer)
    assert 'href="/drills"' not in client.get("/plan").get_data(as_text=True)
    page = client.get("/drills")
    assert page.status_code == 200
    assert 'id="no-certificate"' in page.get_data(as_text=True)


def test_my_drills_lists_each_drill_with_what_to_do(client, login_as, team, holder):
    login_as(team.trainee)
    page = client.get("/drills").get_data(as_text=True)
    assert 'id="standing"' in page
    assert 'data-drill="weekly-backup-check"' in page
    assert 'href="/labs/backup-verify"' in page  # start the lab
    assert 'action="/drills/monthly-recovery-quiz/quiz"' in page  # take the quiz
    assert 'action="/drills/monthly-training/activity"' in page  # record the activity
    assert 'data-state="missed"' in page  # nothing was done in four months


def test_drill_routes_check_roles(client, login_as, team, holder):
    assert client.get("/drills").status_code == 302  # to the login page
    assert client.get("/team/drills").status_code == 302
    login_as(team.coordinator)
    assert client.get("/drills").status_code == 403
    token = csrf_token(client, "/team")
    refused = client.post("/drills/monthly-recovery-quiz/quiz", data={"csrf_token": token})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login_as(team.trainee)
    assert client.get("/team/drills").status_code == 403
    assert client.get("/team/drills.csv").status_code == 403


def test_drill_forms_need_the_csrf_token(client, login_as, team, holder):
    login_as(team.trainee)
    assert client.post("/drills/monthly-recovery-quiz/quiz").status_code == 400
    response = client.post(
        "/drills/monthly-training/activity",
        data={
            "occurred_on": utcnow().date().isoformat(),
            "counterpart": "Lerato",
            "description": "Walked through the new feature flags and the rollback steps.",
        },
    )
    assert response.status_code == 400
    assert (
        db.session.scalar(select(Attestation).where(Attestation.user_id == team.trainee.id)) is None
    )


def test_a_quiz_drill_retakes_a_quiz_passed_before(client, login_as, team, holder):
    login_as(team.trainee)
    token = csrf_token(client, "/drills")
    response = client.post("/drills/monthly-recovery-quiz/quiz", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/quizzes/attempts/" in response.headers["Location"]
    assert client.post("/drills/no-such-drill/quiz", data={"csrf_token": token}).status_code == 404
    wrong_kind = client.post("/drills/monthly-restore-test/quiz", data={"csrf_token": token})
    assert wrong_kind.status_code == 404


def test_recording_an_activity_asks_the_coordinator(client, login_as, team, holder, outbox):
    login_as(team.trainee)
    token = csrf_token(client, "/drills")
    response = client.post(
        "/drills/monthly-training/activity",
        data={
            "csrf_token": token,
            "occurred_on": utcnow().date().isoformat(),
            "counterpart": "Lerato",
            "description": "Walked through the new feature flags and the rollback steps.",
        },
    )
    assert response.status_code == 302
    recorded = db.session.scalar(select(Attestation).where(Attestation.user_id == team.trainee.id))
    assert recorded.kind == "training_session"
    assert recorded.status == "pending"
    assert any(n.to == team.coordinator.email for n in outbox)
    # It waits in the coordinator's approvals queue like any attested work.
    client.post("/logout", data={"csrf_token": token})
    login_as(team.coordinator)
    assert f'data-attestation="{recorded.id}"' in client.get("/team/approvals").get_data(
        as_text=True
    )
    # A date before the certificate is refused.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/team")})
    login_as(team.trainee)
    refused = client.post(
        "/drills/monthly-training/activity",
        data={
            "csrf_token": csrf_token(client, "/drills"),
            "occurred_on": (utcnow() - timedelta(days=200)).date().isoformat(),
            "counterpart": "Lerato",
            "description": "Walked through the new feature flags and the rollback steps.",
        },
    )
    assert refused.status_code == 422


def test_coordinators_see_only_their_cohorts(client, login_as, team, holder, certify, lab_done):
    other = certify(team.other_trainee, issued=utcnow() - timedelta(days=120))
    session_id = lab_done(team.trainee, "backup-verify", utcnow() - timedelta(hours=2))
    login_as(team.coordinator)
    page = client.get("/team/drills").get_data(as_text=True)
    assert f'data-holder="{team.trainee.id}"' in page
    assert f'data-holder="{team.other_trainee.id}"' not in page
    assert other.code not in page
    # Evidence one click away: the lab session that satisfied the weekly drill.
    assert f'href="/labs/sessions/{session_id}"' in page
    assert client.get(f"/team/drills?cohort={team.other_cohort_id}").status_code == 404
    assert client.get(f"/team/drills.csv?cohort={team.other_cohort_id}").status_code == 404
    mine = client.get(f"/team/drills?cohort={team.cohort_id}").get_data(as_text=True)
    assert f'data-holder="{team.trainee.id}"' in mine
    client.post("/logout", data={"csrf_token": csrf_token(client, "/team")})
    login_as(team.admin)
    everyone = client.get("/team/drills").get_data(as_text=True)
    assert f'data-holder="{team.trainee.id}"' in everyone
    assert f'data-holder="{team.other_trainee.id}"' in everyone


def test_the_csv_lists_holders_and_neutralises_formulas(client, login_as, team, holder, session):
    team.trainee.full_name = '=HYPERLINK("http://evil.test")'
    session.commit()
    login_as(team.coordinator)
    response = client.get("/team/drills.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, *body = rows
    assert header[:6] == ["cohort", "name", "email", "certificate", "standing", "missed"]
    assert "weekly-backup-check state" in header
    assert len(body) == 1
    assert body[0][1] == '\'=HYPERLINK("http://evil.test")'
    assert body[0][3] == holder.code
    assert body[0][4] in ("behind", "suspended")
