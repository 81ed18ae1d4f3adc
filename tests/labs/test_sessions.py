"""A lab session's life, driven through the supervisor task with a scripted sandbox."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.clock import as_utc, utcnow
from app.extensions import db
from app.labs import jobs, services, status
from app.labs.models import CheckRun, LabSession, Trigger
from app.sandboxes.models import Sandbox
from tests.labs.conftest import queue_run


@pytest.fixture
def started(app, session, use_catalog, make_user, probe):
    """A trainee's probe session, its sandbox still starting."""
    trainee = make_user()
    lab_session = services.start_session(trainee.id, probe, use_catalog.version)
    session.commit()
    return lab_session


def make_ready(lab_session: LabSession) -> None:
    """Let the sandbox supervisor report the session's sandbox ready."""
    db.session.execute(
        update(Sandbox).where(Sandbox.id == lab_session.sandbox_id).values(status="ready")
    )
    db.session.commit()


@pytest.fixture
def active(app, started, fake_sandbox):
    """The probe session after its setup ran: the trainee can work."""
    make_ready(started)
    jobs.tick(app)
    db.session.refresh(started)
    assert started.status == "active", started.error
    return started


def check_now(app, lab_session, probe, trigger=Trigger.BUTTON, task_id=None) -> CheckRun:
    """Queue a check run and let the supervisor run it."""
    run = services.request_check(
        lab_session, probe, user_id=lab_session.user_id, trigger=trigger, task_id=task_id
    )
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(run)
    db.session.refresh(lab_session)
    return run


def test_start_draws_values_and_asks_for_a_sandbox(started, probe, use_catalog):
    assert started.status == "starting"
    assert set(started.values) == {"marker", "port", "flavour"}
    assert started.content_version == use_catalog.version
    sandbox = db.session.get(Sandbox, started.sandbox_id)
    assert sandbox.owner_id == started.user_id
    assert sandbox.purpose == "lab:probe"
    assert sandbox.profile == "prod=impactlink-server@impactlink-prod"
    assert services.start_session(started.user_id, probe, use_catalog.version).id == started.id


def test_progress_follows_the_sandbox_then_setup_runs_off_request(app, started, fake_sandbox):
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == started.sandbox_id)
        .values(progress="Starting prod", progress_percent=50)
    )
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(started)
    assert (started.status, started.progress, started.progress_percent) == (
        "starting",
        "Starting prod",
        30,
    )
    assert fake_sandbox.calls == []
    make_ready(started)
    jobs.tick(app)
    db.session.refresh(started)
    assert started.status == "active"
    assert started.progress_percent == 100
    setup = fake_sandbox.calls[0]
    assert setup["user"] == "root"
    assert setup["env"]["LAB_PORT"] == str(started.values["port"])
    assert setup["env"]["LAB_SESSION"] == str(started.id)
    assert as_utc(started.expires_at) > utcnow() + timedelta(minutes=29)


def test_a_failed_setup_fails_the_session_and_releases_the_sandbox(app, started, fake_sandbox):
    fake_sandbox.fail_setup = True
    make_ready(started)
    jobs.tick(app)
    db.session.refresh(started)
    assert started.status == "failed"
    assert "setup.sh on prod exited 1" in started.error
    assert "disk full" in started.error
    jobs.tick(app)
    assert db.session.get(Sandbox, started.sandbox_id).status == "expired"


def test_a_sandbox_that_fails_to_start_fails_the_session(app, started):
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == started.sandbox_id)
        .values(status="failed", error="no capacity")
    )
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(started)
    assert (started.status, started.error) == ("failed", "no capacity")


def test_checks_fail_then_pass_and_a_passed_task_stays_passed(app, active, probe, fake_sandbox):
    first = check_now(app, active, probe)
    assert first.status == "done"
    outcomes = {r["check_id"]: r["outcome"] for r in first.results}
    assert outcomes == {
        "marker-file": "failed",
        "marker-shell": "failed",
        "port-answer": "failed",
        "db-answers": "failed",
        "health": "passed",
        "flag-up": "failed",
    }
    assert first.content_version == active.content_version
    assert "[marker-shell]" in first.output_excerpt
    assert active.passed_task_ids() == set()
    assert status.visible_hints(probe, active)["make-file"] == ["Use echo."]

    fake_sandbox.done = True
    fake_sandbox.remembered["LAB_PORT"] = str(active.values["port"])  # what setup wrote
    services.record_answer(active, probe, "port-answer", str(active.values["port"]))
    second = check_now(app, active, probe)
    assert second.outcome == "passed"
    assert active.passed_task_ids() == {"make-file", "answer-port", "raise-flag"}
    assert active.completed_at is not None
    assert services.passed_lab_slugs(active.user_id) == {"probe"}

    fake_sandbox.done = False  # the trainee breaks it again: passed stays passed
    assert (
        services.request_check(active, probe, user_id=active.user_id, trigger=Trigger.BUTTON)
        is None
    )
    assert active.passed_task_ids() == {"make-file", "answer-port", "raise-flag"}


def test_only_open_tasks_are_checked_and_a_task_can_be_checked_alone(
    app, active, probe, fake_sandbox
):
    run = check_now(app, active, probe, task_id="make-file")
    assert {r["task_id"] for r in run.results} == {"make-file"}
    fake_sandbox.done = True
    check_now(app, active, probe, task_id="make-file")
    assert active.passed_task_ids() == {"make-file"}
    later = check_now(app, active, probe)
    assert {r["task_id"] for r in later.results} == {"answer-port", "raise-flag"}


def test_continuous_checking_keeps_one_pending_run(app, active, probe):
    first = services.request_check(active, probe, user_id=active.user_id, trigger=Trigger.AUTO)
    first_asked = first.requested_at = utcnow() - timedelta(seconds=30)
    again = services.request_check(active, probe, user_id=active.user_id, trigger=Trigger.AUTO)
    assert first.id == again.id
    assert first.task_id is None
    pressed = services.request_check(
        active, probe, user_id=active.user_id, trigger=Trigger.BUTTON, task_id="make-file"
    )
    assert pressed.id == first.id
    assert pressed.trigger == "button"
    # The press took the waiting automatic run over for its own task only, and waits from now.
    assert pressed.task_id == "make-file"
    assert as_utc(pressed.requested_at) >= as_utc(first_asked)
    db.session.commit()
    count = db.session.scalar(
        select(db.func.count()).select_from(CheckRun).where(CheckRun.session_id == active.id)
    )
    assert count == 1


def test_auto_runs_do_not_reveal_hints(app, active, probe):
    check_now(app, active, probe, trigger=Trigger.AUTO)
    assert status.visible_hints(probe, active)["make-file"] == []
    check_now(app, active, probe)
    check_now(app, active, probe)
    check_now(app, active, probe)
    assert status.visible_hints(probe, active)["make-file"] == [
        "Use echo.",
        "Redirect it with >.",
    ]


def test_reset_runs_the_tasks_reset_script_in_a_job(app, active, probe, fake_sandbox):
    services.request_reset(active, probe, "make-file")
    db.session.commit()
    with pytest.raises(services.LabError, match="busy"):
        services.request_reset(active, probe, "make-file")
    jobs.tick(app)
    db.session.refresh(active)
    assert active.busy is None
    assert active.progress == "Task reset."
    assert fake_sandbox.calls[-1]["stdin"] == b"rm -f /home/impactlink/probe-$LAB_MARKER.txt"
    with pytest.raises(services.LabError, match="nothing to reset"):
        services.request_reset(active, probe, "answer-port")


def test_extend_adds_time_up_to_twice_the_limit(app, active, probe):
    make_ready(active)
    db.session.execute(
        update(Sandbox)
        .where(Sandbox.id == active.sandbox_id)
        .values(expires_at=utcnow() + timedelta(hours=1))
    )
    before = as_utc(active.expires_at)
    services.extend_session(active, probe)
    assert as_utc(active.expires_at) == before + timedelta(minutes=15)
    services.extend_session(active, probe)
    assert as_utc(active.expires_at) == as_utc(active.ready_at) + timedelta(minutes=60)
    with pytest.raises(services.LabError, match="cannot be extended"):
        services.extend_session(active, probe)


def test_sessions_past_their_time_expire_and_release_the_sandbox(app, active):
    active.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(active)
    assert active.status == "expired"
    jobs.tick(app)
    assert db.session.get(Sandbox, active.sandbox_id).status == "expired"


def test_warning_before_expiry(app, active):
    assert not services.needs_warning(active)
    active.expires_at = utcnow() + timedelta(minutes=9)
    services.note_seen(active)
    assert services.needs_warning(active)
    assert active.expiry_warned_at is not None


def test_finish_runs_cleanup_and_keeps_the_evidence(app, active, probe):
    check_now(app, active, probe)
    services.finish_session(active)
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(active)
    assert active.status == "finished"
    assert active.busy is None
    assert db.session.get(Sandbox, active.sandbox_id).status == "expired"
    evidence = services.lab_evidence(active.user_id)
    assert [s.id for s in evidence] == [active.id]
    assert len(evidence[0].check_runs) == 1
    with pytest.raises(services.LabError):
        services.request_check(active, probe, user_id=active.user_id, trigger=Trigger.BUTTON)


def test_a_lost_run_is_closed_after_a_while(app, active, probe):
    run = services.request_check(active, probe, user_id=active.user_id, trigger=Trigger.BUTTON)
    run.status = "running"
    run.started_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    jobs.tick(app)
    db.session.refresh(run)
    assert run.status == "done"
    assert "lost" in run.output_excerpt


def test_lab_profiles_cover_every_lab(app, use_catalog):
    with app.app_context():
        assert jobs.lab_profiles(app) == ["prod=impactlink-server@impactlink-prod"]


def test_evidence_folds_identical_automatic_runs(app, active, probe):
    for _ in range(3):
        check_now(app, active, probe, trigger=Trigger.AUTO)
    check_now(app, active, probe)
    db.session.refresh(active)
    rows = status.evidence_rows(active.check_runs)
    assert [(row.run.trigger, row.repeats) for row in rows] == [("button", 0), ("auto", 2)]


def test_an_engine_lost_during_setup_fails_the_session_with_the_reason(app, started, monkeypatch):
    from app.sandboxes.runtime import SandboxUnavailable

    def gone(host, command, **options):
        raise SandboxUnavailable("The Docker engine is not running.")

    monkeypatch.setattr(jobs, "sandbox_executor", lambda sandbox_id: gone)
    make_ready(started)
    jobs.tick(app)
    db.session.refresh(started)
    assert started.status == "failed"
    assert "The Docker engine is not running." in started.error


def test_typed_answers_are_limited_to_the_checks_tries(app, active, probe, fake_sandbox):
    check = next(c for c in probe.checks if c.id == "port-answer")
    assert check.max_tries == 3
    for guess in ("1", "2", "3"):
        services.record_answer(active, probe, "port-answer", guess)
    assert services.tries_used(active, "port-answer") == 3
    with pytest.raises(services.LabError, match="No tries are left"):
        services.record_answer(active, probe, "port-answer", str(active.values["port"]))
    assert active.answers["port-answer"] == "3"
    view = next(t for t in status.task_views(probe, active) if t.id == "answer-port")
    assert next(c for c in view.checks if c["id"] == "port-answer")["tries_left"] == 0


def test_two_presses_for_different_tasks_before_a_run_share_one_run_of_both(app, active, probe):
    one = services.request_check(
        active, probe, user_id=active.user_id, trigger=Trigger.BUTTON, task_id="make-file"
    )
    two = services.request_check(
        active, probe, user_id=active.user_id, trigger=Trigger.BUTTON, task_id="raise-flag"
    )
    assert two.id == one.id
    assert two.task_id is None


def test_automatic_runs_wait_while_any_press_is_queued_or_running(app, active, monkeypatch):
    handed: list[tuple[str, int]] = []
    monkeypatch.setattr(
        jobs,
        "_submit",
        lambda fn, _app, run_id, quick=False: not handed.append((fn.__name__, run_id)),
    )
    automatic = queue_run(active, Trigger.AUTO)
    pressed = queue_run(active, Trigger.BUTTON)
    jobs.pick_up_checks(app)
    # The press is handed out; the automatic run stays queued while the press runs.
    assert handed == [("execute_run", pressed.id)]
    db.session.refresh(automatic)
    assert automatic.status == "queued"
    jobs.pick_up_checks(app)
    assert handed == [("execute_run", pressed.id)]
    # Once no press is queued or running, the automatic run goes.
    db.session.execute(update(CheckRun).where(CheckRun.id == pressed.id).values(status="done"))
    db.session.commit()
    jobs.pick_up_checks(app)
    assert handed[-1] == ("execute_auto_run", automatic.id)
    jobs._auto_running.discard(automatic.id)


def test_automatic_runs_are_limited_to_one_per_two_cores(
    app, make_user, probe, use_catalog, monkeypatch
):
    handed: list[int] = []
    monkeypatch.setattr(
        jobs, "_submit", lambda fn, _app, run_id, quick=False: not handed.append(run_id)
    )
    runs = []
    for _ in range(jobs.AUTO_AT_ONCE + 2):
        lab_session = services.start_session(make_user().id, probe, use_catalog.version)
        db.session.commit()
        runs.append(queue_run(lab_session, Trigger.AUTO))
    jobs.pick_up_checks(app)
    assert handed == [run.id for run in runs[: jobs.AUTO_AT_ONCE]]
    for run_id in handed:
        jobs._auto_running.discard(run_id)


def test_only_a_press_raises_the_sandbox_s_cpu_weight(app, active, probe, monkeypatch):
    raised: list[str] = []

    def recording_priority(_app, sandbox_id):
        raised.append(sandbox_id)
        return contextlib.nullcontext()

    monkeypatch.setattr(jobs, "check_priority", recording_priority)
    check_now(app, active, probe, trigger=Trigger.AUTO)
    assert raised == []
    check_now(app, active, probe, task_id="make-file")
    assert raised == [active.sandbox_id]
