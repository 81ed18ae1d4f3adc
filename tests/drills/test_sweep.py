"""The sweep: reminders through the outbox once only, completions reported, a certificate
suspended after missed drills and restored once they are caught up, extension by drills."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.certification.models import AuditEvent, Certificate, CertificateStatus
from app.clock import as_utc
from app.drills.models import DrillOccurrence
from app.drills.services import sweep
from app.drills.status import status_of
from app.extensions import db
from app.xapi.models import XapiStatement
from tests.certification.conftest import right_answer
from tests.drills.conftest import at, line_of


@pytest.fixture
def lrs(app, monkeypatch):
    """Record xAPI statements (an LRS address is configured; nothing is sent in these tests)."""
    settings = app.config["ACADEMY"]
    monkeypatch.setitem(
        app.config, "ACADEMY", settings.replace(lrs_url="http://lrs.example.test/xAPI")
    )


def statements(verb: str) -> list[dict]:
    rows = db.session.scalars(select(XapiStatement).where(XapiStatement.verb == verb))
    return [row.body for row in rows]


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_due_reminder_goes_to_the_holder_once(team, certify, catalog, outbox, session):
    certify(team.trainee)
    outbox.clear()
    sweep(catalog, at("2026-02-26 08:00"))
    session.commit()
    mine = [n for n in outbox if n.to == team.trainee.email]
    subjects = sorted(n.subject for n in mine)
    assert "Drill due by 2026-02-28: Full restore to staging" in subjects
    assert "Drill due by 2026-02-28: Disaster recovery refresher" in subjects
    assert all(n.to == team.trainee.email for n in outbox)  # coordinators only when overdue
    count = len(outbox)
    sweep(catalog, at("2026-02-26 09:00"))
    sweep(catalog, at("2026-02-26 23:00"))
    session.commit()
    assert len(outbox) == count  # never twice for the same occurrence
    row = db.session.scalar(
        select(DrillOccurrence).where(
            DrillOccurrence.user_id == team.trainee.id,
            DrillOccurrence.drill_id == "monthly-restore-test",
        )
    )
    assert row.period_start == date(2026, 2, 1)
    assert row.due_reminded_at is not None


def test_an_overdue_drill_tells_the_holder_and_their_coordinators_once(
    team, certify, catalog, outbox, session
):
    certify(team.trainee)
    certify(team.other_trainee)
    outbox.clear()
    sweep(catalog, at("2026-03-03"))
    session.commit()
    overdue = [n for n in outbox if n.subject.startswith("Drill overdue")]
    to_coordinator = [n for n in overdue if n.to == team.coordinator.email]
    assert {n.subject for n in to_coordinator} >= {
        "Drill overdue: Thandi Trainee, Full restore to staging"
    }
    assert all("Otto" not in n.subject for n in to_coordinator)  # not their cohort
    assert any(n.to == team.other_coordinator.email for n in overdue)
    assert any(n.to == team.trainee.email for n in overdue)
    count = len(outbox)
    sweep(catalog, at("2026-03-04"))
    session.commit()
    assert len(outbox) == count


def test_a_completion_is_reported_once_as_an_xapi_statement(
    team, certify, catalog, lab_done, session, lrs
):
    certify(team.trainee)
    session_id = lab_done(team.trainee, "restore-staging", at("2026-02-15"))
    sweep(catalog, at("2026-02-16"))
    session.commit()
    done = [s for s in statements("completed") if "/drill/" in s["object"]["id"]]
    assert [s["object"]["id"].rsplit("/", 1)[1] for s in done] == ["monthly-restore-test"]
    assert done[0]["actor"]["account"]["name"] == str(team.trainee.id)
    assert done[0]["result"]["success"] is True
    row = db.session.scalar(
        select(DrillOccurrence).where(DrillOccurrence.drill_id == "monthly-restore-test")
    )
    assert (row.evidence_kind, row.evidence_id) == ("lab", session_id)
    sweep(catalog, at("2026-02-17"))
    session.commit()
    assert len([s for s in statements("completed") if "/drill/" in s["object"]["id"]]) == 1


def _catch_up(trainee, catalog, rules, lab_done, activity_done, moment):
    """Do the missed monthly drills late: the lab, the quiz (through the drill's start) and
    the training session; and the weekly backup check."""
    from app.drills.services import start_quiz_drill
    from app.quizzes import services as quizzes
    from app.quizzes.services import versions_of

    lab_done(trainee, "restore-staging", moment)
    lab_done(trainee, "backup-verify", moment)
    activity_done(trainee, "training_session", moment.date())
    attempt = start_quiz_drill(catalog, trainee.id, rules.drill("monthly-recovery-quiz"), moment)
    questions = versions_of([attempt])
    answers = {
        entry["id"]: right_answer(questions[entry["version"]])
        for entry in attempt.paper["questions"]
    }
    quizzes.submit(attempt, answers, catalog, now=moment)
    assert attempt.passed
    db.session.commit()


def test_missed_drills_suspend_the_certificate_until_caught_up(
    client, team, certify, catalog, rules, lab_done, activity_done, outbox, session, lrs
):
    certificate = certify(team.trainee)
    # Early March: February's monthly drills are only overdue, nothing is suspended yet.
    sweep(catalog, at("2026-03-03"))
    session.commit()
    assert certificate.status(at("2026-03-03")) == CertificateStatus.VALID

    report = sweep(catalog, at("2026-03-09"))
    session.commit()
    db.session.refresh(certificate)
    assert report.suspended == [certificate.code]
    assert certificate.status(at("2026-03-09")) == CertificateStatus.SUSPENDED
    assert "Full restore to staging (1 missed since February 2026)" in (
        certificate.suspension_reason
    )
    [event] = audit("certificate.suspended")
    assert event.subject_id == certificate.id
    assert event.trainee_id == team.trainee.id
    assert event.details["missed"] >= 2
    [suspended] = statements("suspended")
    assert suspended["object"]["id"].endswith(f"/certificate/{certificate.code}")
    assert any(
        n.subject == f"Certificate {certificate.code} suspended: drills missed" for n in outbox
    )
    assert any(n.to == team.coordinator.email and "suspended" in n.subject for n in outbox)

    # The public verify page and the badge say so; suspended is not revoked.
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Suspended" in page
    assert 'data-status="suspended"' in page
    assert 'data-drills="suspended"' in page
    badge = client.get(f"/badges/assertions/{certificate.code}.json")
    assert badge.status_code == 200
    assert badge.get_json()["extensions:drillStanding"]["status"] == "suspended"
    assert badge.get_json()["extensions:drillStanding"]["current"] is False

    # A second sweep changes nothing.
    assert sweep(catalog, at("2026-03-09 13:00")).suspended == []

    _catch_up(team.trainee, catalog, rules, lab_done, activity_done, at("2026-03-10 10:00"))
    report = sweep(catalog, at("2026-03-10 11:00"))
    session.commit()
    db.session.refresh(certificate)
    assert report.restored == [certificate.code]
    assert certificate.suspended_at is None
    assert certificate.status(at("2026-03-10 11:00")) == CertificateStatus.VALID
    [restored] = audit("certificate.restored")
    assert restored.subject_id == certificate.id
    assert len(statements("restored")) == 1
    status = status_of(rules, team.trainee.id, at("2026-03-10 11:00"))
    assert line_of(status, "monthly-recovery-quiz").missed == 0
    assert status.current_on_drills


def test_the_verify_page_and_badge_say_whether_the_holder_is_current(
    client, team, certify, lab_done
):
    certificate = certify(team.trainee, issued=as_utc(db.session.scalar(select(db.func.now()))))
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert 'data-drills="current"' in page
    assert "Current on recurring drills" in page
    body = client.get(f"/badges/assertions/{certificate.code}.json").get_json()
    assert body["extensions:drillStanding"]["status"] == "current"
    assert "Current on recurring drills" in body["narrative"]


def test_every_drill_of_the_year_on_time_extends_the_certificate_once(
    team, certify, catalog, rules, lab_done, activity_done, session
):
    from app.drills.schedule import first_start, windows
    from app.quizzes.models import QuizAttempt

    certificate = certify(team.trainee)
    now = at("2026-12-20")  # inside the 30 days before expiry (10 January 2027)
    for drill in rules.drills:
        for n, window in enumerate(
            windows(drill.period, first_start(certificate.issued_at, drill.period), now.date())
        ):
            moment = window.opens.replace(hour=10)
            if moment > now:
                continue
            if drill.kind == "lab":
                lab_done(team.trainee, drill.target, moment)
            elif drill.kind == "activity":
                activity_done(team.trainee, drill.target, moment.date())
            else:
                db.session.add(
                    QuizAttempt(
                        user_id=team.trainee.id,
                        quiz_id=drill.target,
                        kind="day",
                        number=100 + n,
                        content_version=catalog.version,
                        paper={"seed": n, "questions": []},
                        pass_mark=70.0,
                        started_at=moment,
                        submitted_at=moment,
                        answers={},
                        results={},
                        score=90.0,
                        passed=True,
                    )
                )
                session.commit()
    report = sweep(catalog, now)
    session.commit()
    db.session.refresh(certificate)
    assert report.extended == [certificate.code]
    assert as_utc(certificate.expires_at).date() == date(2028, 1, 10)
    assert certificate.drill_extensions == 1
    [event] = audit("certificate.extended")
    assert event.details["new_expires_at"].startswith("2028-01-10")
    assert sweep(catalog, at("2027-12-20")).extended == []  # max_extensions: 1


def test_a_missed_drill_blocks_the_extension(team, certify, catalog, session):
    certificate = certify(team.trainee)
    sweep(catalog, at("2026-12-20"))
    session.commit()
    db.session.refresh(certificate)
    assert certificate.drill_extensions == 0
    assert as_utc(certificate.expires_at).date() == date(2027, 1, 10)
    assert db.session.get(Certificate, certificate.id).suspended_at is not None
