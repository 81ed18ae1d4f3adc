"""The practical exam's rules on real PostgreSQL: no hints or failure detail for the trainee, a
limited number of attempts with a cool-down, the time limit ending the attempt, the incident
record submitted and reviewed, and the sign-off blocked until that record is approved.

The sandbox and the exam's checks are proven by `academy labs test practical-exam`; here the
attempt is made ready as the supervisor's setup job does and check results are recorded through
the same service call the check runner uses.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app.certification.certificates import checklist_for
from app.certification.models import AuditEvent
from app.clock import as_utc, utcnow
from app.config import ROOT
from app.content.errors import Problems
from app.content.labs import Lab, labs_of, read_lab
from app.coordination.matrix import build_matrix
from app.coordination.models import Cohort
from app.extensions import db
from app.labs import exam, services
from app.labs.checks import CheckResult
from app.labs.models import CheckRun, LabSession, SessionStatus, Trigger
from app.labs.status import task_views
from tests.certification.conftest import RECORD
from tests.conftest import csrf_token

SLUG = "practical-exam"


@pytest.fixture
def lab(catalog) -> Lab:
    found = labs_of(catalog)[SLUG]
    assert found.exam is not None
    return found


def start(user_id: int, lab: Lab, catalog, minutes_left: int = 60) -> LabSession:
    """Start an attempt and make it ready, as the supervisor does once the setup ran."""
    attempt = services.start_session(user_id, lab, catalog.version)
    attempt.status = SessionStatus.ACTIVE.value
    attempt.ready_at = utcnow() - timedelta(minutes=lab.time_limit_minutes - minutes_left)
    attempt.expires_at = utcnow() + timedelta(minutes=minutes_left)
    db.session.flush()
    return attempt


def results(lab: Lab, outcome: str = "passed") -> list[CheckResult]:
    return [
        CheckResult(
            c.id,
            c.task_id,
            outcome,  # type: ignore[arg-type]
            message="" if outcome == "passed" else f"Symptom of {c.id}.",
            hints=() if outcome == "passed" else (f"Hint for {c.id}.",),
            title=c.title,
            kind=c.kind,
        )
        for c in lab.checks
    ]


def run_checks(attempt: LabSession, lab: Lab, outcome: str = "passed") -> CheckRun:
    run = services.request_check(attempt, lab, user_id=attempt.user_id, trigger=Trigger.BUTTON)
    assert run is not None
    services.record_results(run, lab, results(lab, outcome))
    return run


def end(attempt: LabSession, ago: timedelta = timedelta(0)) -> None:
    """End an attempt (its time up) `ago` in the past."""
    attempt.status = SessionStatus.EXPIRED.value
    attempt.expires_at = utcnow() - ago
    attempt.finished_at = utcnow() - ago
    db.session.flush()


def post(client, path: str, data: dict[str, str], page: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_the_exam_is_content_and_an_exam_task_may_not_have_hints(lab, tmp_path: Path):
    assert (lab.exam.attempts, lab.exam.cooldown_hours, lab.exam.record) == (2, 24, True)
    assert not any(task.hints for task in lab.tasks)
    assert {"web", "cache", "certificate", "backup", "offsite"} == {t.id for t in lab.tasks}
    assert [h.name for h in lab.hosts] == ["prod", "backup"]
    copy = tmp_path / SLUG
    shutil.copytree(ROOT / "labs" / SLUG, copy)
    data = yaml.safe_load((copy / "lab.yaml").read_text())
    data["tasks"][1]["hints"] = ["Redis is stopped."]
    data["exam"]["attempts"] = 0
    (copy / "lab.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    problems = Problems(tmp_path)
    read_lab(copy, problems)
    said = "\n".join(str(p) for p in problems.items)
    assert "task 'cache' of an exam has hints" in said
    assert "attempts must be 1..10, got 0" in said
    assert "lab.yaml:" in said


def test_the_trainee_sees_pass_or_fail_only_and_the_coordinator_the_detail(
    client, login_as, team, catalog, lab, session
):
    attempt = start(team.trainee.id, lab, catalog)
    run = run_checks(attempt, lab, "failed")
    session.commit()
    for stored in run.results:
        assert stored["outcome"] == "failed"
        assert (stored["message"], stored["hints"]) == ("", [])
        assert f"Symptom of {stored['check_id']}." in stored["detail"]
        assert f"Hint for {stored['check_id']}." in stored["detail"]
    for view in task_views(lab, attempt):
        assert view.hints == []
        assert all(check["message"] == "" and check["hints"] == [] for check in view.checks)
    page = login_as(team.trainee).get(f"/labs/sessions/{attempt.id}").get_data(as_text=True)
    assert "Symptom of" not in page
    assert "Hint for" not in page
    assert "failed" in page
    status = client.get(f"/labs/sessions/{attempt.id}/status").get_data(as_text=True)
    assert "Symptom of" not in status
    assert "Hint for" not in status
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    page = login_as(team.coordinator).get(f"/labs/sessions/{attempt.id}").get_data(as_text=True)
    assert "Symptom of web-path." in page


def test_attempts_are_limited_and_a_cool_down_separates_them(
    client, login_as, team, catalog, lab, session
):
    trainee = team.trainee.id
    # A sandbox that failed before the trainee got it uses no attempt.
    broken = services.start_session(trainee, lab, catalog.version)
    services.fail_session(broken, "the sandbox did not start")
    first = start(trainee, lab, catalog)
    assert services.start_session(trainee, lab, catalog.version).id == first.id  # resumed
    run_checks(first, lab, "failed")
    end(first)
    refusal = exam.start_refusal(trainee, lab)
    assert "Your next attempt opens at" in refusal
    with pytest.raises(services.LabError, match="next attempt opens"):
        services.start_session(trainee, lab, catalog.version)
    session.commit()
    response = post(login_as(team.trainee), f"/labs/{SLUG}/start", {}, f"/labs/{SLUG}")
    assert response.status_code == 409
    assert "next attempt opens" in response.get_data(as_text=True)
    detail = client.get(f"/labs/{SLUG}").get_data(as_text=True)
    assert "Attempts: 1 of 2 used" in detail
    assert 'id="exam-refusal"' in detail
    assert 'id="start-lab" disabled' in detail
    assert exam.start_refusal(trainee, lab, utcnow() + timedelta(hours=23)) != ""
    assert exam.start_refusal(trainee, lab, utcnow() + timedelta(hours=24, seconds=1)) == ""

    # A day later the second attempt starts; after it, none is left.
    first.finished_at = first.expires_at = utcnow() - timedelta(hours=25)
    second = start(trainee, lab, catalog)
    end(second, ago=timedelta(hours=30))
    standing = exam.standing(trainee, lab)
    assert (standing.used, standing.left) == (2, 0)
    assert "used all 2 attempts" in standing.refusal
    with pytest.raises(services.LabError, match="used all 2 attempts"):
        services.start_session(trainee, lab, catalog.version)
    # Every attempt, the broken start included, stays on record for the coordinator.
    kept = session.scalars(
        select(LabSession.id).where(LabSession.user_id == trainee, LabSession.lab_slug == SLUG)
    ).all()
    assert sorted(kept) == sorted([broken.id, first.id, second.id])


def test_no_attempt_after_a_pass(team, catalog, lab):
    attempt = start(team.trainee.id, lab, catalog)
    run_checks(attempt, lab)
    assert attempt.completed_at is not None
    services.finish_session(attempt)
    with pytest.raises(services.LabError, match="passed this exam"):
        services.start_session(team.trainee.id, lab, catalog.version)


def test_the_time_limit_ends_the_attempt(team, catalog, lab):
    attempt = start(team.trainee.id, lab, catalog, minutes_left=5)
    with pytest.raises(services.LabError, match="cannot be extended"):
        services.extend_session(attempt, lab)
    # A run asked for in time but finished after the deadline counts: the press was in time.
    in_time = services.request_check(attempt, lab, user_id=team.trainee.id, trigger=Trigger.BUTTON)
    assert in_time is not None
    attempt.expires_at = utcnow() - timedelta(seconds=1)
    services.record_results(in_time, lab, results(lab)[:1])
    assert "web" not in attempt.passed_task_ids()  # one of web's two checks: not a pass
    # After the deadline nothing more is asked for, answered, or passed.
    with pytest.raises(services.LabError, match="time is up"):
        services.request_check(attempt, lab, user_id=team.trainee.id, trigger=Trigger.BUTTON)
    with pytest.raises(services.LabError, match="time is up"):
        services.record_answer(attempt, lab, "wrong-port", "5123")
    late = CheckRun(
        session_id=attempt.id,
        user_id=team.trainee.id,
        trigger=Trigger.BUTTON.value,
        status="queued",
        content_version=attempt.content_version,
        requested_at=utcnow(),
        results=[],
    )
    db.session.add(late)
    db.session.flush()
    assert services.record_results(late, lab, results(lab)) == []
    assert attempt.passed_task_ids() == set()
    assert attempt.completed_at is None
    assert late.outcome == "passed"  # the run is kept as evidence, and counts for nothing
    assert exam.exam_state(team.trainee.id, SLUG) == "tried"


def test_the_record_is_written_after_the_attempt_and_reviewed_by_the_coordinator(
    client, login_as, team, catalog, lab, session
):
    attempt = start(team.trainee.id, lab, catalog)
    session.commit()
    page = f"/labs/sessions/{attempt.id}"
    login_as(team.trainee)
    assert post(client, f"{page}/record", RECORD, page).status_code == 409  # still running
    run_checks(attempt, lab)
    services.finish_session(attempt)
    session.commit()
    assert post(client, f"{page}/record", {**RECORD, "cause": ""}, page).status_code == 400
    assert post(client, f"{page}/record", RECORD, page).status_code == 302
    record = exam.record_of(attempt.id)
    assert (record.status, record.cause) == ("submitted", RECORD["cause"])
    assert 'id="record-status"' in client.get(page).get_data(as_text=True)
    # The trainee cannot review their own record, nor write on someone else's attempt.
    review = {"approve": "Approve", "comment": ""}
    assert post(client, f"{page}/record/review", review, page).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login_as(team.other_trainee)
    assert post(client, f"{page}/record", RECORD, "/plan").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    # A coordinator of another cohort cannot see or review it, nor finds it in their queue.
    login_as(team.other_coordinator)
    assert f'data-exam-record="{record.id}"' not in client.get("/team/approvals").get_data(
        as_text=True
    )
    assert client.get(page).status_code == 404
    assert post(client, f"{page}/record/review", review, "/team").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    # The trainee's coordinator returns it (a comment is required), then approves the revision.
    login_as(team.coordinator)
    queue = client.get("/team/approvals").get_data(as_text=True)
    assert f'data-exam-record="{record.id}"' in queue
    assert 'id="review-form"' in client.get(page).get_data(as_text=True)
    send_back = {"send_back": "Return with comment", "comment": ""}
    assert post(client, f"{page}/record/review", send_back, page).status_code == 409
    send_back["comment"] = "Say when the disk filled and why nobody was alerted."
    assert post(client, f"{page}/record/review", send_back, page).status_code == 302
    db.session.refresh(record)
    assert (record.status, record.reviewer_name) == ("returned", team.coordinator.full_name)
    assert exam.exam_state(team.trainee.id, SLUG) == "returned"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login_as(team.trainee)
    assert "Say when the disk filled" in client.get(page).get_data(as_text=True)
    revised = {**RECORD, "timeline": "02:00 backup failed: disk full. " + RECORD["timeline"]}
    assert post(client, f"{page}/record", revised, page).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login_as(team.coordinator)
    assert post(client, f"{page}/record/review", review, page).status_code == 302
    db.session.refresh(record)
    assert record.status == "approved"
    assert record.timeline.startswith("02:00 backup failed")
    assert post(client, f"{page}/record/review", review, page).status_code == 409
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "exam_record")
    ).all()
    assert sorted(actions) == ["exam_record_approved", "exam_record_returned"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login_as(team.trainee)
    assert post(client, f"{page}/record", RECORD, page).status_code == 409  # approved: final


def test_the_sign_off_item_is_met_only_by_a_passed_attempt_with_an_approved_record(
    team, catalog, lab, session
):
    trainee = team.trainee.id

    def item() -> tuple[bool, str]:
        status = checklist_for(trainee, catalog).status("practical-exam")
        assert status is not None
        return status.met, status.summary

    def matrix_note() -> str:
        cohort = db.session.get(Cohort, team.cohort_id)
        matrix = build_matrix(cohort, catalog)
        row = next(r for r in matrix.rows if r.trainee.id == trainee)
        position = [i.id for i in matrix.items].index("practical-exam")
        return row.item_notes[position]

    assert item() == (False, "not attempted")
    failed = start(trainee, lab, catalog)
    run_checks(failed, lab, "failed")
    end(failed, ago=timedelta(hours=25))
    assert item() == (False, "not passed yet")
    assert matrix_note() == "not passed yet"
    passed = start(trainee, lab, catalog)
    run_checks(passed, lab)
    services.finish_session(passed)
    assert item() == (False, "passed, incident record to write")
    record = exam.submit_record(passed, lab, RECORD, catalog.version)
    assert item() == (False, "passed, record waiting for review")
    assert matrix_note() == "passed, record waiting for review"
    exam.review_record(record, team.coordinator, True, "")
    assert item() == (True, "passed, record approved")
    assert matrix_note() == "passed, record approved"
    assert as_utc(passed.completed_at) <= as_utc(passed.expires_at)
