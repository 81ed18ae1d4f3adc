"""The whole journey on real PostgreSQL: a new trainee, invited from a roster, to a certificate."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.certification.models import Attestation, Certificate
from app.certification.rules import rules_of
from app.labs.models import LabSession
from tests.certification.conftest import RECORD, pass_assessment, pass_day_quizzes, pass_labs
from tests.certification.test_badges import check_assertion
from tests.conftest import PASSWORD, csrf_token, login


def _post(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token})


def _logout(client):
    _post(client, "/logout", {}, "/plan")


def test_from_a_new_trainee_to_a_certificate(client, make_user, session, catalog, outbox):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    coordinator = make_user(Role.COORDINATOR, name="Cora Coordinator")

    # The admin makes the cohort and puts the coordinator in charge.
    login(client, admin)
    start = (date.today() - timedelta(days=12)).isoformat()
    response = _post(
        client,
        "/team/cohorts/new",
        {"name": "Handover June", "start_date": start, "coordinator_ids": [str(coordinator.id)]},
    )
    assert response.status_code == 302
    cohort_path = response.headers["Location"]
    _logout(client)

    # The coordinator onboards the new trainee from a roster; the invitation goes out.
    login(client, coordinator)
    roster = b"email,full_name\nnaledi@example.test,Naledi Dlamini\n"
    token = csrf_token(client, f"{cohort_path}/import")
    response = client.post(
        f"{cohort_path}/import",
        data={"roster": (io.BytesIO(roster), "roster.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    invitation = next(n for n in outbox if n.to == "naledi@example.test")
    link = re.search(r"(/invitations/[\w-]+)", invitation.body).group(1)
    _logout(client)

    # The trainee accepts, and lands in the cohort.
    response = _post(
        client, link, {"full_name": "Naledi Dlamini", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 302
    trainee = session.scalar(select(User).where(User.email == "naledi@example.test"))
    assert trainee.role == "trainee"

    # Ten days: every lesson through its page, every quiz and the assessment through the quiz
    # service, every lab of the programme (the must-perform tasks, each day's labs and the
    # practical exam) through the labs service.
    for lesson_id in catalog.lessons:
        response = _post(client, f"/lessons/{lesson_id}/complete", {}, f"/lessons/{lesson_id}")
        assert response.status_code == 302
    pass_day_quizzes(trainee.id, catalog)
    pass_assessment(trainee.id, catalog)
    pass_labs(trainee.id, catalog)
    session.commit()
    page = client.get("/signoff").get_data(as_text=True)
    assert "10 of 10 days" in page
    assert "8 of 8 labs" in page
    assert "passed, incident record to write" in page

    # The exam's incident record, written on the attempt's page.
    attempt = session.scalar(
        select(LabSession).where(
            LabSession.user_id == trainee.id, LabSession.lab_slug == "practical-exam"
        )
    )
    attempt_page = f"/labs/sessions/{attempt.id}"
    response = _post(client, f"{attempt_page}/record", RECORD, attempt_page)
    assert response.status_code == 302
    assert "passed, record waiting for review" in client.get("/signoff").get_data(as_text=True)

    # Attested work, recorded by the trainee...
    for n, kind, counterpart in (
        (1, "shadow_shift", "Sipho (on call)"),
        (2, "shadow_shift", "Lerato (on call)"),
        (3, "incident_response", "INC-4101"),
        (4, "incident_response", "INC-4107"),
        (5, "incident_response", "INC-4122"),
    ):
        response = _post(
            client,
            "/signoff/attestations",
            {
                "kind": kind,
                "occurred_on": (date.today() - timedelta(days=n)).isoformat(),
                "counterpart": counterpart,
                "description": f"Worked through {counterpart} with the on-call engineer watching.",
            },
            "/signoff",
        )
        assert response.status_code == 302
    # ... and the acknowledgment, signed with the typed name.
    response = _post(client, "/signoff/acknowledgment", {"typed_name": "naledi dlamini"})
    assert response.status_code == 302
    _logout(client)

    # The coordinator approves the work from the queue, then gives the final sign-off.
    login(client, coordinator)
    queue = client.get("/team/approvals").get_data(as_text=True)
    pending = session.scalars(select(Attestation.id).where(Attestation.user_id == trainee.id)).all()
    assert len(pending) == 5
    assert all(f'data-attestation="{i}"' in queue for i in pending)
    for attestation_id in pending:
        response = _post(
            client,
            f"/attestations/{attestation_id}/decision",
            {"decision": "approve", "comment": "Confirmed with the on-call lead."},
            "/team/approvals",
        )
        assert response.status_code == 302
    # Not ready while the exam's record waits; the coordinator approves it on the attempt's page.
    ready_badge = '<span class="badge warn">ready</span>'
    assert ready_badge not in client.get(cohort_path).get_data(as_text=True)
    response = _post(
        client, f"{attempt_page}/record/review", {"approve": "Approve", "comment": ""}, attempt_page
    )
    assert response.status_code == 302
    matrix = client.get(cohort_path).get_data(as_text=True)
    assert "Naledi Dlamini" in matrix
    assert ready_badge in matrix
    trainee_page = f"/team/trainees/{trainee.id}"
    response = _post(client, f"/trainees/{trainee.id}/certificate", {}, trainee_page)
    assert response.status_code == 302
    certificate = session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))
    assert certificate is not None
    assert certificate.cycle == 1
    assert "certified" in client.get(cohort_path).get_data(as_text=True)
    _logout(client)

    # Anyone can verify it; the trainee downloads the PDF; the badge is valid Open Badges 2.0.
    verify = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert 'data-status="valid"' in verify
    assert "Naledi Dlamini" in verify
    assert rules_of(catalog).badge.name in verify
    iri = f"http://127.0.0.1:5000/badges/assertions/{certificate.code}.json"
    check_assertion(client, iri, "naledi@example.test")
    login(client, trainee)
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 200
    assert pdf.get_data().startswith(b"%PDF-")
    assert certificate.code in client.get("/signoff").get_data(as_text=True)

    subjects = [(n.to, n.subject) for n in outbox]
    assert ("naledi@example.test", "Your Ops Academy invitation") in subjects
    assert (
        sum(1 for to, s in subjects if to == coordinator.email and s.startswith("Waiting for")) == 5
    )
    assert any(
        to == "naledi@example.test" and s.startswith("Your certificate") for to, s in subjects
    )
