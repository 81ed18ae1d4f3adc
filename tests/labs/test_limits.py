"""One open session per trainee and lab (kept by the database), the sandbox quota, the Check
and answer rate limit, and a status poll that does not write on every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import utcnow
from app.extensions import db
from app.labs import jobs, services
from app.labs.models import CheckRun, LabSession, Trigger
from app.sandboxes.models import Sandbox
from tests.browser import build_app
from tests.conftest import PASSWORD, csrf_token, login
from tests.labs.conftest import queue_run


@pytest.fixture
def available(monkeypatch):
    """Pretend the Docker engine and images are there (nothing here starts a container)."""
    monkeypatch.setattr("app.sandboxes.services.unavailable_reason", lambda app: None)


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


def start(client, slug="probe"):
    return client.post(f"/labs/{slug}/start", data={"csrf_token": csrf_token(client, "/labs")})


def auth(client) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, "/labs")}


def settings(app: Flask, monkeypatch, **changes: Any) -> None:
    monkeypatch.setitem(app.config, "ACADEMY", app.config["ACADEMY"].replace(**changes))


def open_sessions(user_id: int) -> list[LabSession]:
    return list(
        db.session.scalars(
            select(LabSession).where(
                LabSession.user_id == user_id, LabSession.status.in_(services.OPEN_STATUSES)
            )
        )
    )


@pytest.fixture
def running(app, client, login_as, trainee, use_catalog, available, fake_sandbox):
    """The trainee's probe session, set up and active, with the trainee logged in."""
    login_as(trainee)
    assert start(client).status_code == 302
    [lab_session] = open_sessions(trainee.id)
    db.session.execute(
        update(Sandbox).where(Sandbox.id == lab_session.sandbox_id).values(status="ready")
    )
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(lab_session)
    assert lab_session.status == "active"
    return lab_session


# -- one open session per trainee and lab -----------------------------------------------------


def insert_in_savepoint(session, row: LabSession) -> None:
    with session.begin_nested():
        session.add(row)
        session.flush()


def test_the_database_refuses_a_second_open_session_of_a_lab(session, trainee, probe, use_catalog):
    first = services.start_session(trainee.id, probe, use_catalog.version)
    session.commit()
    twin = LabSession(
        user_id=trainee.id,
        lab_slug=probe.id,
        seed=1,
        values={},
        answers={},
        status="starting",
        content_version=use_catalog.version,
        expires_at=utcnow(),
    )
    with pytest.raises(IntegrityError):
        insert_in_savepoint(session, twin)
    # Once the first has ended, a new one may open (ended sessions are not in the index).
    services.finish_session(first)
    session.add(
        LabSession(
            user_id=trainee.id,
            lab_slug=probe.id,
            seed=2,
            values={},
            answers={},
            status="starting",
            content_version=use_catalog.version,
            expires_at=utcnow(),
        )
    )
    session.flush()


def test_a_start_that_loses_the_race_goes_to_the_winner(
    client, login_as, trainee, use_catalog, available, monkeypatch
):
    login_as(trainee)
    first = start(client)
    [winner] = open_sessions(trainee.id)
    # The loser read "no open session" just before the winner committed.
    real = services.open_session
    blind = iter([None, None])
    monkeypatch.setattr(services, "open_session", lambda *a: next(blind, None) or real(*a))
    again = start(client)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert [s.id for s in open_sessions(trainee.id)] == [winner.id]
    # The loser's sandbox request was rolled back with its savepoint.
    owned = db.session.scalars(select(Sandbox.id).where(Sandbox.owner_id == trainee.id)).all()
    assert owned == [winner.sandbox_id]


@pytest.fixture(scope="module")
def start_app(pg_server, probe_catalog) -> Iterator[Flask]:
    """An app on its own database whose requests really commit, serving the probe lab."""
    app = build_app(pg_server.create_database("academy_lab_starts"))
    app.extensions["academy.catalog"] = probe_catalog
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("user_lock", [True, False], ids=["user-lock", "index-only"])
def test_parallel_starts_open_one_session_and_one_sandbox(start_app, monkeypatch, user_lock):
    """Eight Start requests at the same moment; without the user's row lock the partial unique
    index alone still leaves one session (the others hit IntegrityError and follow it)."""
    monkeypatch.setattr("app.sandboxes.services.unavailable_reason", lambda app: None)
    if not user_lock:
        monkeypatch.setattr(services, "lock_user", lambda user_id: None)
    with start_app.app_context():
        user = create_user(f"racer-{user_lock}@example.test", "Racer", PASSWORD, Role.TRAINEE)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    count = 8
    clients = [start_app.test_client() for _ in range(count)]
    tokens = []
    for client in clients:
        login(client, user)
        tokens.append(csrf_token(client, "/labs/probe"))
    barrier = threading.Barrier(count)

    def press(n: int) -> tuple[int, str]:
        barrier.wait()
        response = clients[n].post("/labs/probe/start", data={"csrf_token": tokens[n]})
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(press, range(count)))
    assert {status for status, _ in results} == {302}
    assert len({location for _, location in results}) == 1
    with start_app.app_context():
        sessions = db.session.scalars(select(LabSession).where(LabSession.user_id == user.id))
        assert [s.status for s in sessions] == ["starting"]
        sandboxes = db.session.scalar(
            select(func.count(Sandbox.id)).where(Sandbox.owner_id == user.id)
        )
        assert sandboxes == 1


# -- the sandbox quota ------------------------------------------------------------------------


def _held_sandbox(owner_id: int, status: str = "ready") -> Sandbox:
    sandbox = Sandbox(profile="prod=impactlink-server", status=status, owner_id=owner_id)
    sandbox.purpose = "admin:try"
    db.session.add(sandbox)
    db.session.commit()
    return sandbox


def test_a_trainee_holds_at_most_the_quota_of_sandboxes(
    app, client, login_as, trainee, use_catalog, available, monkeypatch
):
    settings(app, monkeypatch, sandboxes_per_trainee=2)
    login_as(trainee)
    _held_sandbox(trainee.id)
    other = _held_sandbox(trainee.id, status="requested")
    refused = start(client)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "You already have 2 lab sandboxes running" in page
    assert "Finish one of your open labs" in page
    assert open_sessions(trainee.id) == []
    # Released sandboxes do not count.
    db.session.execute(update(Sandbox).where(Sandbox.id == other.id).values(status="expired"))
    db.session.commit()
    assert start(client).status_code == 302
    assert len(open_sessions(trainee.id)) == 1


def test_a_finished_labs_sandbox_awaiting_cleanup_does_not_count(
    app, session, trainee, probe, use_catalog, monkeypatch
):
    first = services.start_session(trainee.id, probe, use_catalog.version, sandbox_quota=1)
    session.commit()
    _held_sandbox(trainee.id)
    assert services.sandboxes_held(trainee.id) == 2
    services.finish_session(first)
    session.commit()
    # The finished lab's sandbox is still "requested" until the cleanup job releases it.
    assert db.session.get(Sandbox, first.sandbox_id).status == "requested"
    assert services.sandboxes_held(trainee.id) == 1
    with pytest.raises(services.QuotaExceeded, match="You already have 1 lab sandbox running"):
        services.start_session(trainee.id, probe, use_catalog.version, sandbox_quota=1)
    second = services.start_session(trainee.id, probe, use_catalog.version, sandbox_quota=2)
    assert second.id != first.id


def test_the_quota_setting_defaults_to_two():
    from app.config import Settings

    assert Settings.from_env({"ACADEMY_ENV": "test"}).sandboxes_per_trainee == 2
    env = {"ACADEMY_ENV": "test", "ACADEMY_SANDBOXES_PER_TRAINEE": "5"}
    assert Settings.from_env(env).sandboxes_per_trainee == 5


# -- Check and answer presses -------------------------------------------------------------------


def press(client, lab_session, **body: Any):
    return client.post(f"/labs/sessions/{lab_session.id}/check", json=body, headers=auth(client))


def test_check_presses_beyond_the_limit_get_a_429_with_a_clear_message(
    app, client, running, monkeypatch
):
    settings(app, monkeypatch, lab_checks_per_minute=3)
    for _ in range(3):
        assert press(client, running).status_code == 200
        jobs.tick(app)  # the run finishes, so the next press queues a new one
    refused = press(client, running)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"].startswith("Checks are limited to 3 a minute in a lab session.")
    assert 1 <= body["retry_after"] <= 60
    assert refused.headers["Retry-After"] == str(body["retry_after"])
    assert db.session.scalar(select(func.count(CheckRun.id))) == 3
    # A minute later presses are welcome again.
    db.session.execute(
        update(CheckRun).values(requested_at=CheckRun.requested_at - timedelta(seconds=61))
    )
    db.session.commit()
    assert press(client, running).status_code == 200


def test_presses_while_a_run_is_queued_widen_it_and_cost_nothing(app, client, running, monkeypatch):
    settings(app, monkeypatch, lab_checks_per_minute=2)
    for _ in range(5):
        assert press(client, running).status_code == 200
    assert db.session.scalar(select(func.count(CheckRun.id))) == 1


def test_answer_presses_share_the_limit_and_a_refused_one_costs_no_try(
    app, client, running, monkeypatch
):
    settings(app, monkeypatch, lab_checks_per_minute=1)
    assert press(client, running).status_code == 200
    jobs.tick(app)
    token = csrf_token(client, f"/labs/sessions/{running.id}/work")
    answer = client.post(
        f"/labs/sessions/{running.id}/answer",
        data={"check_id": "port-answer", "answer": "1234", "csrf_token": token},
    )
    assert answer.status_code == 429
    assert "Try again in" in answer.get_json()["error"]
    db.session.refresh(running)
    assert services.tries_used(running, "port-answer") == 0


def test_continuous_checks_keep_working_at_their_own_pace(app, client, running, monkeypatch):
    settings(app, monkeypatch, lab_checks_per_minute=1)
    assert press(client, running).status_code == 200
    jobs.tick(app)
    assert press(client, running).status_code == 429
    # The page's automatic checks are never refused, only spaced.
    soon = press(client, running, auto=True)
    assert soon.status_code == 200
    assert soon.get_json()["run"] is None  # the last run was asked for a moment ago
    db.session.execute(
        update(CheckRun).values(requested_at=CheckRun.requested_at - timedelta(seconds=4))
    )
    db.session.commit()
    queued = press(client, running, auto=True)
    assert queued.status_code == 200
    run_id = queued.get_json()["run"]
    assert run_id is not None
    # While it is pending, further automatic checks get the same run.
    assert press(client, running, auto=True).get_json()["run"] == run_id


def test_the_limit_setting_is_read():
    from app.config import Settings

    env = {"ACADEMY_ENV": "test", "ACADEMY_LAB_CHECKS_PER_MINUTE": "20"}
    assert Settings.from_env(env).lab_checks_per_minute == 20


# -- the status poll ----------------------------------------------------------------------------


class Writes:
    """Records the INSERT, UPDATE and DELETE statements sent while attached."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.statements.append(statement.split("\n")[0][:80])


@pytest.fixture
def writes(app) -> Iterator[Writes]:
    recorder = Writes()
    event.listen(db.engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(db.engine, "before_cursor_execute", recorder)


def test_the_status_poll_writes_at_most_every_30_seconds(client, running, writes):
    url = f"/labs/sessions/{running.id}/status"
    assert client.get(url).status_code == 200  # the first poll notes the page and the sandbox
    assert any("lab_sessions" in s for s in writes.statements)
    assert any("sandboxes" in s for s in writes.statements)
    writes.statements.clear()
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert writes.statements == []
    db.session.execute(
        update(LabSession)
        .where(LabSession.id == running.id)
        .values(last_seen_at=utcnow() - timedelta(seconds=31))
    )
    db.session.commit()
    writes.statements.clear()
    client.get(url)
    assert len(writes.statements) == 2  # last_seen_at, and the sandbox's activity


def test_an_idle_warning_is_cleared_by_the_next_poll(client, running, writes):
    url = f"/labs/sessions/{running.id}/status"
    client.get(url)
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == running.sandbox_id)
        .values(warning="This sandbox closes in 5 minutes unless you use it.")
    )
    db.session.commit()
    db.session.expire_all()
    status = client.get(url).get_json()
    assert status["sandbox_warning"] is None
    assert db.session.get(Sandbox, running.sandbox_id).warning is None


def _finish_soon(app: Flask, run_id: int) -> threading.Thread:
    """Mark the run done a moment from now, as a worker storing its result would."""

    def finish() -> None:
        with app.app_context():
            time.sleep(0.3)
            db.session.execute(
                update(CheckRun)
                .where(CheckRun.id == run_id)
                .values(status="done", finished_at=utcnow(), seconds=0.3)
            )
            db.session.commit()

    worker = threading.Thread(target=finish)
    worker.start()
    return worker


def test_a_poll_that_may_wait_answers_when_the_pending_run_ends(app, client, running):
    run_id = queue_run(running, Trigger.BUTTON).id
    url = f"/labs/sessions/{running.id}/status"
    assert client.get(url).get_json()["pending_runs"] == [run_id]  # a plain poll does not wait
    worker = _finish_soon(app, run_id)
    status = client.get(f"{url}?wait=1").get_json()
    worker.join()
    assert status["pending_runs"] == []
    assert status["last_run"]["id"] == run_id


def test_polls_beyond_the_waiters_allowed_answer_at_once(app, client, running, monkeypatch):
    from app.labs import status as lab_status

    full = threading.BoundedSemaphore(1)
    full.acquire()
    monkeypatch.setattr(lab_status, "_waiters", full)
    run_id = queue_run(running, Trigger.BUTTON).id
    worker = _finish_soon(app, run_id)
    status = client.get(f"/labs/sessions/{running.id}/status?wait=1").get_json()
    worker.join()
    assert status["pending_runs"] == [run_id]  # answered before the run ended
    assert full.acquire(blocking=False) is False  # and took no waiter's place


# -- the embedded default -----------------------------------------------------------------------


def test_one_open_session_per_lab_on_sqlite(tmp_path, probe_catalog, monkeypatch):
    """SQLite has no row locks: the partial unique index alone keeps a lost race to one session."""
    import flask_migrate

    from app import create_app
    from app.config import ROOT
    from tests.conftest import settings_for

    app = create_app(settings_for(f"sqlite:///{tmp_path / 'academy.sqlite3'}", tmp_path))
    app.extensions["academy.catalog"] = probe_catalog
    monkeypatch.setattr("app.sandboxes.services.unavailable_reason", lambda app: None)
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
        user = create_user("sqlite-lab@example.test", "Sqlite Lab", PASSWORD, Role.TRAINEE)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    client = app.test_client()
    login(client, user)
    first = start(client)
    real = services.open_session
    blind = iter([None, None])
    monkeypatch.setattr(services, "open_session", lambda *a: next(blind, None) or real(*a))
    again = start(client)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        sessions = db.session.scalars(select(LabSession).where(LabSession.user_id == user.id))
        assert len(list(sessions)) == 1
        owned = db.session.scalar(select(func.count(Sandbox.id)).where(Sandbox.owner_id == user.id))
        assert owned == 1
        db.engine.dispose()
