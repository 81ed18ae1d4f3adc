"""The lab pages and their JSON endpoints: who may see what, and what each answers."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app.auth.models import Role
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from app.labs import jobs
from app.labs.models import CheckRun, LabSession
from app.sandboxes.models import Sandbox
from tests.conftest import csrf_token, login


@pytest.fixture
def available(monkeypatch):
    """Pretend the Docker engine and images are there (nothing here starts a container)."""
    monkeypatch.setattr("app.sandboxes.services.unavailable_reason", lambda app: None)


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


def start(client, slug="probe"):
    token = csrf_token(client, f"/labs/{slug}")
    return client.post(f"/labs/{slug}/start", data={"csrf_token": token})


def headers(client, path="/labs"):
    return {"X-CSRFToken": csrf_token(client, path)}


@pytest.fixture
def running(app, client, login_as, trainee, use_catalog, available, fake_sandbox):
    """The trainee's probe session, set up and active, with the trainee logged in."""
    login_as(trainee)
    response = start(client)
    assert response.status_code == 302
    lab_session = db.session.scalar(select(LabSession).where(LabSession.user_id == trainee.id))
    db.session.execute(
        update(Sandbox).where(Sandbox.id == lab_session.sandbox_id).values(status="ready")
    )
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(lab_session)
    assert lab_session.status == "active"
    return lab_session


def test_index_lists_labs_and_sessions(client, login_as, trainee, use_catalog, available):
    login_as(trainee)
    page = client.get("/labs").get_data(as_text=True)
    assert "Probe every check kind" in page
    assert "You have not started a lab yet." in page


def test_detail_shows_tasks_and_start_with_placeholders_unfilled(
    client, login_as, trainee, use_catalog, available
):
    login_as(trainee)
    page = client.get("/labs/probe").get_data(as_text=True)
    assert "Write the marker file" in page
    assert 'id="start-lab"' in page
    assert "Your marker is <code>…</code>" in page


def test_unavailable_engine_is_explained_and_nothing_starts(
    client, login_as, trainee, use_catalog, monkeypatch
):
    reason = "The Docker engine is not running (no socket at /var/run/docker.sock)."
    monkeypatch.setattr("app.sandboxes.services.unavailable_reason", lambda app: reason)
    login_as(trainee)
    assert reason in client.get("/labs").get_data(as_text=True)
    assert reason in client.get("/labs/probe").get_data(as_text=True)
    response = start(client)
    assert response.status_code == 503
    assert reason in response.get_data(as_text=True)
    assert db.session.scalar(select(LabSession).where(LabSession.user_id == trainee.id)) is None
    assert client.get("/plan").status_code == 200


def test_start_opens_the_workspace_with_progress(client, login_as, trainee, use_catalog, available):
    login_as(trainee)
    response = start(client)
    assert response.status_code == 302
    assert "/work" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="lab-starting"' in page
    assert "Waiting for a sandbox" in page or "Waiting for a server" in page
    again = start(client)
    assert again.headers["Location"] == response.headers["Location"]


def test_workspace_shows_values_terminal_and_tasks(client, running):
    page = client.get(f"/labs/sessions/{running.id}/work").get_data(as_text=True)
    marker = running.values["marker"]
    assert f"Your marker is <code>{marker}</code>" in page
    assert f"probe-{marker}.txt" in page
    assert "sandbox-terminal" in page
    assert 'data-task="make-file"' in page
    assert "Reset task" in page


def test_status_is_json_with_tasks_time_and_progress(client, running, count_queries):
    counter = count_queries()
    status = client.get(f"/labs/sessions/{running.id}/status").get_json()
    assert counter.count <= 12, counter.count
    assert status["status"] == "active"
    assert 29 * 60 <= status["seconds_left"] <= 30 * 60
    assert [t["id"] for t in status["tasks"]] == ["make-file", "answer-port", "raise-flag"]
    assert (
        status["tasks"][1]["checks"][0]["question"]
        == "Which port is written in /var/tmp/probe-port?"
    )
    assert status["pending_runs"] == []


def test_check_button_queues_a_run_and_results_arrive(app, client, running, fake_sandbox):
    answer = client.post(
        f"/labs/sessions/{running.id}/check", json={"task": "make-file"}, headers=headers(client)
    )
    assert answer.status_code == 200
    run_id = answer.get_json()["run"]
    assert answer.get_json()["pending_runs"] == [run_id]
    jobs.tick(app)
    status = client.get(f"/labs/sessions/{running.id}/status").get_json()
    assert status["last_run"]["id"] == run_id
    task = status["tasks"][0]
    assert task["passed"] is False
    assert task["checks"][1]["outcome"] == "failed"
    assert task["checks"][1]["message"] == "missing"
    assert task["checks"][1]["hints"] == ["echo it"]
    assert task["hints"] == ["Use echo."]


def test_auto_check_enqueues_at_most_one_pending_run(app, client, running):
    auth = headers(client)
    first = client.post(
        f"/labs/sessions/{running.id}/check", json={"auto": True}, headers=auth
    ).get_json()
    second = client.post(
        f"/labs/sessions/{running.id}/check", json={"auto": True}, headers=auth
    ).get_json()
    assert first["run"] == second["run"]
    runs = db.session.scalars(select(CheckRun).where(CheckRun.session_id == running.id)).all()
    assert [r.trigger for r in runs] == ["auto"]


def test_answers_are_stored_and_checked(app, client, running, fake_sandbox):
    token = csrf_token(client, f"/labs/sessions/{running.id}/work")
    response = client.post(
        f"/labs/sessions/{running.id}/answer",
        data={
            "check_id": "port-answer",
            "answer": str(running.values["port"]),
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    fake_sandbox.done = True
    fake_sandbox.remembered["LAB_PORT"] = str(running.values["port"])  # what setup wrote
    jobs.tick(app)
    status = client.get(f"/labs/sessions/{running.id}/status").get_json()
    assert status["tasks"][1]["passed"] is True
    assert status["tasks"][1]["checks"][0]["answer"] == str(running.values["port"])
    assert status["tasks"][1]["checks"][0]["tries_left"] == 2


def test_requests_without_csrf_are_refused(client, running):
    assert client.post(f"/labs/sessions/{running.id}/check", json={}).status_code == 400


def test_reset_extend_and_finish(app, client, running):
    auth = headers(client)
    reset = client.post(f"/labs/sessions/{running.id}/tasks/make-file/reset", headers=auth)
    assert reset.get_json()["busy"] == "reset:make-file"
    assert (
        client.post(
            f"/labs/sessions/{running.id}/tasks/answer-port/reset", headers=auth
        ).status_code
        == 409
    )
    jobs.tick(app)
    db.session.execute(
        update(Sandbox).where(Sandbox.id == running.sandbox_id).values(status="ready")
    )
    extended = client.post(f"/labs/sessions/{running.id}/extend", headers=auth)
    assert extended.status_code == 200
    assert extended.get_json()["seconds_left"] > 40 * 60
    token = csrf_token(client, f"/labs/sessions/{running.id}/work")
    finished = client.post(f"/labs/sessions/{running.id}/finish", data={"csrf_token": token})
    assert finished.headers["Location"].endswith(f"/labs/sessions/{running.id}")
    db.session.refresh(running)
    assert running.status == "finished"
    assert client.get(f"/labs/sessions/{running.id}/work").status_code == 302


@pytest.fixture
def overseers(make_user, running):
    """The running session's cohort coordinator, another coordinator, an admin, another trainee."""
    mine = make_user(Role.COORDINATOR)
    other = make_user(Role.COORDINATOR)
    cohort = create_cohort("Lab cohort", date.today() - timedelta(days=1), [mine.id])
    add_member(cohort.id, running.user_id)
    db.session.commit()
    return {
        "mine": mine,
        "other": other,
        "admin": make_user(Role.ADMIN),
        "trainee": make_user(Role.TRAINEE),
    }


def test_evidence_is_visible_to_the_trainee_their_coordinator_and_admins(
    app, client, running, overseers
):
    run_id = client.post(
        f"/labs/sessions/{running.id}/check", json={}, headers=headers(client)
    ).get_json()["run"]
    jobs.tick(app)
    own = client.get(f"/labs/sessions/{running.id}").get_data(as_text=True)
    assert f'data-run="{run_id}"' in own
    assert "Detail:" not in own
    for who, allowed in (("mine", True), ("admin", True), ("other", False), ("trainee", False)):
        client.post("/logout", headers=headers(client))
        login(client, overseers[who])
        response = client.get(f"/labs/sessions/{running.id}")
        assert response.status_code == (200 if allowed else 404), who
        if allowed:
            page = response.get_data(as_text=True)
            assert "Detail:" in page
            assert str(running.seed) in page
        status = client.get(f"/labs/sessions/{running.id}/status")
        assert status.status_code == (200 if allowed else 404), who
        assert client.get(f"/labs/sessions/{running.id}/work").status_code == 404
        refused = client.post(
            f"/labs/sessions/{running.id}/check", json={}, headers=headers(client)
        )
        assert refused.status_code == 404


def test_evidence_shows_tampering_and_the_platforms_own_task_times(
    app, client, running, overseers, fake_sandbox
):
    from datetime import timedelta

    run_id = client.post(
        f"/labs/sessions/{running.id}/check", json={}, headers=headers(client)
    ).get_json()["run"]
    jobs.tick(app)
    run = db.session.get(CheckRun, run_id)
    results = list(run.results)
    results[0] = {**results[0], "tamper": "the ops script backup.sh differs"}
    run.results = results
    row = next(r for r in running.task_results if r.task_id == "raise-flag")
    row.passed_at = running.ready_at + timedelta(minutes=7, seconds=5)
    db.session.commit()
    trainee_page = client.get(f"/labs/sessions/{running.id}").get_data(as_text=True)
    assert "tampering suspected" not in trainee_page
    assert "7 min 5 s after the lab was ready" in trainee_page
    client.post("/logout", headers=headers(client))
    login(client, overseers["mine"])
    page = client.get(f"/labs/sessions/{running.id}").get_data(as_text=True)
    assert "tampering suspected" in page
    assert "the ops script backup.sh differs" in page


def test_a_wrong_answers_message_is_shown_next_to_its_field(app, client, running, fake_sandbox):
    token = csrf_token(client, f"/labs/sessions/{running.id}/work")
    wrong = str(int(running.values["port"]) + 1)
    response = client.post(
        f"/labs/sessions/{running.id}/answer",
        data={"check_id": "port-answer", "answer": wrong, "csrf_token": token},
    )
    assert response.status_code == 200
    fake_sandbox.done = True
    fake_sandbox.remembered["LAB_PORT"] = str(running.values["port"])
    jobs.tick(app)
    status = client.get(f"/labs/sessions/{running.id}/status").get_json()
    check = status["tasks"][1]["checks"][0]
    assert check["outcome"] == "failed"
    assert check["message"]
    page = client.get(f"/labs/sessions/{running.id}/work").get_data(as_text=True)
    form = re.search(r'<form class="answer-form" data-check="port-answer".*?</form>', page, re.S)
    assert form
    feedback_id = "answer-feedback-answer-port-port-answer"
    assert f'aria-describedby="{feedback_id}"' in form.group(0)
    assert (
        f'<p class="answer-feedback is-wrong" id="{feedback_id}" role="status" '
        f'aria-live="polite">{html.escape(check["message"])}</p>'
    ) in form.group(0)


def test_lab_and_task_titles_not_ids(app, client, running, fake_sandbox):
    client.post(
        f"/labs/sessions/{running.id}/check", json={"task": "make-file"}, headers=headers(client)
    )
    jobs.tick(app)
    index = client.get("/labs").get_data(as_text=True)
    sessions = index[index.index('id="my-sessions"') :]
    assert "<td>Probe every check kind</td>" in sessions
    assert "<td>probe</td>" not in sessions
    evidence = client.get(f"/labs/sessions/{running.id}").get_data(as_text=True)
    assert "<br><small>Write the marker file</small>" in evidence
    assert "<br><small>make-file</small>" not in evidence


def test_the_terminal_opens_on_a_host_of_the_lab_only(client, running):
    # One host: no picker; the terminal's socket names the host asked for; another name is 404.
    page = client.get(f"/labs/sessions/{running.id}/work?host=prod").get_data(as_text=True)
    assert "host-picker" not in page
    assert f"/sandboxes/{running.sandbox_id}/terminal?host=prod" in page
    assert client.get(f"/labs/sessions/{running.id}/work?host=elsewhere").status_code == 404
