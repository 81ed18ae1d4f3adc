"""Status updates of an incident drill: the `updates` check kind, its loader, the proof
harness's clock, and posting updates on the platform (who may, CSRF, server time, pages)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import as_utc, utcnow
from app.content.errors import Problems
from app.content.labs import Check, Lab, read_lab
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from app.labs.checks import CheckRunner
from app.labs.models import LabSession, TaskResult
from app.labs.proving import ProofClock
from app.labs.updates import StatusUpdate, timeline_for
from app.labs.values import fill
from app.labs.verdicts import Timeline, UpdateEntry, judge_updates
from tests.conftest import csrf_token
from tests.labs.conftest import LABS, catalog_with, real_lab

READY = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
VALUES = {"ticket": 4821, "table": "projects", "marker": "abcdefghij"}
FIRST = (
    "[INC-4821] Investigating: some pages of the site fail for donors. We are looking into it. "
    "Next update by 12:15 SAST."
)
MIDDLE = (
    "[INC-4821] Identified: the projects table is damaged; donors see errors on project pages. "
    "Restoring from the backup. Next update by 12:30 SAST."
)
RESOLVED = (
    "[INC-4821] Resolved: the cause was damage to the projects table; we restored the database "
    "from the latest backup and the site works for donors again."
)


@pytest.fixture(scope="module")
def lab() -> Lab:
    return real_lab("inplace-recovery")


@pytest.fixture(scope="module")
def check(lab: Lab) -> Check:
    return next(c for c in lab.checks if c.kind == "updates")


def at(minutes: float, status: str, text: str) -> UpdateEntry:
    return UpdateEntry(READY + timedelta(minutes=minutes), status, text)


def judge(check: Check, *updates: UpdateEntry, now: float = 40, passed=("restore",)):
    timeline = Timeline(READY, READY + timedelta(minutes=now), updates, frozenset(passed))
    return judge_updates(check, timeline, lambda text: fill(text, VALUES, "1", ""))


GOOD = (at(2, "investigating", FIRST), at(14, "identified", MIDDLE), at(25, "resolved", RESOLVED))


def test_updates_on_time_with_the_cause_pass(check):
    verdict = judge(check, *GOOD)
    assert verdict.outcome == "passed", verdict.message
    assert "+25 min 00 s resolved" in verdict.detail


def test_no_update_fails(check):
    verdict = judge(check)
    assert verdict.outcome == "failed"
    assert verdict.message == "No status update has been posted yet."


def test_a_late_first_update_fails(check):
    verdict = judge(check, at(11, "investigating", FIRST), *GOOD[1:])
    assert verdict.outcome == "failed"
    assert "first status update came 11 min 00 s after" in verdict.message


def test_a_gap_longer_than_every_fails(check):
    verdict = judge(check, GOOD[0], at(17.5, "identified", MIDDLE), at(33, "resolved", RESOLVED))
    assert verdict.outcome == "failed"
    assert "passed between update 1 and update 2" in verdict.message


def test_no_resolved_update_fails_and_says_when_it_is_overdue(check):
    assert judge(check, *GOOD[:2], now=20).message == "No update marks the incident resolved yet."
    overdue = judge(check, *GOOD[:2], now=30).message
    assert "No status update for more than 15 minutes" in overdue


def test_updates_after_the_resolved_one_do_not_count(check):
    verdict = judge(check, *GOOD, at(90, "monitoring", "late note"), now=95)
    assert verdict.outcome == "passed", verdict.message


def test_each_rule_names_the_update_that_breaks_it(check):
    no_time = FIRST.replace("Next update by 12:15 SAST.", "More soon, as we learn it.")
    verdict = judge(check, at(2, "investigating", no_time), *GOOD[1:])
    assert verdict.message == (
        "Update 1 (investigating): It does not say when the next update comes "
        "(a time such as 14:50)."
    )
    other_ticket = MIDDLE.replace("INC-4821", "INC-1234")
    verdict = judge(check, GOOD[0], at(14, "identified", other_ticket), GOOD[2])
    assert verdict.message.startswith("Update 2 (identified): It does not name the incident")
    assert "4821" not in verdict.message


def test_a_word_for_word_repeat_fails(check):
    verdict = judge(check, GOOD[0], at(12, "monitoring", FIRST.upper()), GOOD[2])
    assert verdict.message.startswith("Update 2 repeats an earlier one word for word")


def test_the_resolved_update_must_name_the_one_damaged_table(check):
    vague = RESOLVED.replace("damage to the projects table", "a database problem")
    assert "one table whose damage" in judge(check, *GOOD[:2], at(25, "resolved", vague)).message
    every = RESOLVED.replace("the projects table", "the projects table or the charities table")
    assert "one table whose damage" in judge(check, *GOOD[:2], at(25, "resolved", every)).message
    wrong = RESOLVED.replace("projects table", "charities table")
    assert judge(check, *GOOD[:2], at(25, "resolved", wrong)).outcome == "failed"


def test_resolved_counts_only_once_the_recovery_passed(check):
    verdict = judge(check, *GOOD, passed=())
    assert verdict.outcome == "failed"
    assert "other tasks of this lab have to pass first" in verdict.message


def test_the_proof_clock_stamps_updates_itself_and_honours_waits():
    clock = ProofClock(ready_at=utcnow())
    clock.take(
        "noise\nUPDATE: investigating first words\nWAIT: 12\n"
        "UPDATE: resolved the end\nUPDATE: bogus ignored\n"
    )
    first, last = clock.updates
    assert (first.status, first.text, last.status, last.text) == (
        "investigating",
        "first words",
        "resolved",
        "the end",
    )
    assert timedelta(minutes=12) <= last.posted_at - first.posted_at < timedelta(minutes=13)
    assert clock.timeline().now - utcnow() >= timedelta(minutes=11, seconds=59)


# --- the lab format ---------------------------------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str) -> list[str]:
    folder = tmp_path / "inplace-recovery"
    shutil.copytree(LABS / "inplace-recovery", folder)
    path = folder / "lab.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    problems = Problems(tmp_path)
    read_lab(folder, problems)
    return [str(p) for p in problems.items]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("every: 15", "every: 0", "every must be 1..480 minutes, got 0"),
        ("after: [restore]", "after: [restor]", "after must name other tasks of this lab"),
        (
            "among: [users table, charities table, projects table, donations table, "
            "saved_charities table], ",
            "",
            "a names rule needs 'among'",
        ),
        ('{contains: "INC-{ticket}", message', '{contains: "INC-{tikket}", message', "{tikket}"),
        ("        first_within: 10\n", "", "missing required key 'first_within'"),
        (
            "{matches: '\\bbackup\\b', message: \"It",
            '{equals: backup, message: "It',
            "needs exactly one of",
        ),
    ],
)
def test_mistakes_in_an_updates_check_are_reported_with_their_line(tmp_path, old, new, expected):
    problems = broken_copy(tmp_path, old, new)
    assert any(expected in p and "lab.yaml:" in p for p in problems), problems


# --- posting updates on the platform ---------------------------------------------------------


@pytest.fixture
def served(app, monkeypatch, lab):
    """Serve the real programme with the inplace-recovery lab."""
    monkeypatch.setitem(app.extensions, "academy.catalog", catalog_with(lab))
    return lab


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


@pytest.fixture
def drill(trainee, served) -> LabSession:
    """An active session of the lab, ready two minutes ago (no sandbox is needed to post)."""
    now = utcnow()
    session = LabSession(
        user_id=trainee.id,
        lab_slug="inplace-recovery",
        seed=1,
        values={"ticket": 4821, "table": "projects", "marker": "abcdefghij", "rows": 3},
        answers={},
        status="active",
        content_version="test",
        started_at=now - timedelta(minutes=3),
        ready_at=now - timedelta(minutes=2),
        expires_at=now + timedelta(minutes=58),
    )
    db.session.add(session)
    db.session.commit()
    return session


def stored(session_id: int) -> list[StatusUpdate]:
    return list(
        db.session.scalars(select(StatusUpdate).where(StatusUpdate.session_id == session_id))
    )


def test_the_owner_posts_an_update_stamped_by_the_server(client, login_as, trainee, drill):
    login_as(trainee)
    page = client.get(f"/labs/sessions/{drill.id}/work").get_data(as_text=True)
    assert "Post a status update" in page
    assert 'class="update-form"' in page
    token = csrf_token(client, f"/labs/sessions/{drill.id}/work")
    before = utcnow()
    response = client.post(
        f"/labs/sessions/{drill.id}/updates",
        data={"csrf_token": token, "status": "investigating", "text": FIRST, "posted_at": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (update,) = stored(drill.id)
    assert (update.status, update.text, update.user_id) == ("investigating", FIRST, trainee.id)
    assert before <= as_utc(update.posted_at) <= utcnow()
    (shown,) = response.get_json()["updates"]
    assert shown["text"] == FIRST
    assert 110 <= shown["after_ready"] <= 130
    # Without JavaScript: a plain post comes back to the lab page with the update on it.
    response = client.post(
        f"/labs/sessions/{drill.id}/updates",
        data={"csrf_token": token, "status": "identified", "text": MIDDLE},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/labs/sessions/{drill.id}/work#status-updates")
    page = client.get(f"/labs/sessions/{drill.id}/work").get_data(as_text=True)
    assert "the projects table is damaged" in page
    assert [u.status for u in stored(drill.id)] == ["investigating", "identified"]


def test_posting_without_the_csrf_token_is_refused(client, login_as, trainee, drill):
    login_as(trainee)
    response = client.post(
        f"/labs/sessions/{drill.id}/updates", data={"status": "investigating", "text": FIRST}
    )
    assert response.status_code == 400
    assert stored(drill.id) == []


def test_bad_input_gets_a_clear_error_and_stores_nothing(client, login_as, trainee, drill):
    login_as(trainee)
    token = csrf_token(client, f"/labs/sessions/{drill.id}/work")
    for data in (
        {"status": "investigating", "text": "   "},
        {"status": "fixed", "text": FIRST},
        {"status": "resolved", "text": "x" * 2001},
    ):
        response = client.post(
            f"/labs/sessions/{drill.id}/updates",
            data={"csrf_token": token, **data},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 400
        assert "Choose the stage" in response.get_json()["error"]
    assert stored(drill.id) == []


def test_only_the_owner_may_post(client, login_as, make_user, trainee, drill):
    coordinator = make_user(Role.COORDINATOR)
    cohort = create_cohort("Drill cohort", date.today(), coordinator_ids=[coordinator.id])
    add_member(cohort.id, trainee.id)
    db.session.commit()
    for someone in (make_user(Role.TRAINEE), coordinator, make_user(Role.ADMIN)):
        login_as(someone)
        token = csrf_token(client, "/labs")
        response = client.post(
            f"/labs/sessions/{drill.id}/updates",
            data={"csrf_token": token, "status": "investigating", "text": FIRST},
        )
        assert response.status_code == 404, someone.email
        client.post("/logout", data={"csrf_token": token})
    response = client.post(f"/labs/sessions/{drill.id}/updates", data={"text": FIRST})
    assert response.status_code in (400, 401, 302)
    assert stored(drill.id) == []


def test_a_session_that_ended_takes_no_updates(client, login_as, trainee, drill):
    login_as(trainee)
    token = csrf_token(client, "/labs")
    drill.status = "finished"
    db.session.commit()
    response = client.post(
        f"/labs/sessions/{drill.id}/updates",
        data={"csrf_token": token, "status": "investigating", "text": FIRST},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert "while the lab is running" in response.get_json()["error"]
    assert stored(drill.id) == []


def test_the_coordinator_sees_the_updates_on_the_evidence_page(
    client, login_as, make_user, trainee, drill
):
    coordinator = make_user(Role.COORDINATOR)
    cohort = create_cohort("Evidence cohort", date.today(), coordinator_ids=[coordinator.id])
    add_member(cohort.id, trainee.id)
    db.session.add(
        StatusUpdate(
            session_id=drill.id,
            user_id=trainee.id,
            status="investigating",
            text="<b>INC-4821</b> first",
            posted_at=as_utc(drill.ready_at) + timedelta(minutes=3, seconds=7),
        )
    )
    db.session.commit()
    login_as(coordinator)
    page = client.get(f"/labs/sessions/{drill.id}").get_data(as_text=True)
    assert 'id="status-updates"' in page
    assert "&lt;b&gt;INC-4821&lt;/b&gt; first" in page
    assert "3 min 7 s after the lab was ready" in page


def test_the_runner_judges_the_sessions_own_records(app, trainee, drill, check):
    ready = as_utc(drill.ready_at)
    for minutes, status, text in ((1, "investigating", FIRST), (9, "resolved", RESOLVED)):
        db.session.add(
            StatusUpdate(
                session_id=drill.id,
                user_id=trainee.id,
                status=status,
                text=text,
                posted_at=ready + timedelta(minutes=minutes),
            )
        )
    db.session.commit()
    timeline = timeline_for(drill.id, now=ready + timedelta(minutes=10))
    assert [u.status for u in timeline.updates] == ["investigating", "resolved"]
    assert timeline.passed_tasks == frozenset()

    def no_sandbox(*args, **kwargs):
        raise AssertionError("an updates check runs nothing in the sandbox")

    runner = CheckRunner(no_sandbox, drill.values, str(drill.id), no_sandbox)
    first = runner.run(check)
    assert first.outcome == "failed"
    assert "other tasks" in first.message
    db.session.add(TaskResult(session_id=drill.id, task_id="restore", passed_at=utcnow()))
    db.session.commit()
    assert runner.run(check).outcome == "passed"
