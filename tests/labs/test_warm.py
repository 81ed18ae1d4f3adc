"""Prepared lab sandboxes (app/labs/warm.py): one Start claims one, its values become the
session's, the clock starts at the claim, and stale or changed ones are retired."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import as_utc, utcnow
from app.content.labs import Lab, Script, Step
from app.extensions import db
from app.labs import services, warm
from app.labs.models import LabSession, PreparedLab, PreparedStatus
from app.labs.services import host_specs
from app.labs.values import draw_values, new_seed
from app.sandboxes import services as sandboxes
from app.sandboxes.models import Sandbox, SandboxStatus
from app.sandboxes.services import profile_key
from tests.browser import build_app
from tests.conftest import PASSWORD
from tests.labs.conftest import build_catalog


def prepare(lab: Lab, version: str, *, age: timedelta = timedelta(0)) -> PreparedLab:
    """A ready prepared sandbox of lab, as the supervisor leaves one after the setup."""
    made = utcnow() - age
    sandbox = Sandbox(
        profile=profile_key(host_specs(lab)),
        status=SandboxStatus.READY.value,
        purpose=warm.purpose_of(lab.id),
        progress="Prepared",
        created_at=made,
        ready_at=made,
        last_activity_at=made,
    )
    db.session.add(sandbox)
    db.session.flush()
    seed = new_seed()
    prepared = PreparedLab(
        lab_slug=lab.id,
        sandbox_id=sandbox.id,
        content_version=version,
        seed=seed,
        values=draw_values(lab.values, seed),
        status=PreparedStatus.READY.value,
        created_at=made,
        ready_at=made,
    )
    db.session.add(prepared)
    db.session.flush()
    return prepared


def maintain_now(app: Flask) -> None:
    """Run the supervisor's prepared-sandbox task now, whatever ran it last."""
    app.extensions.pop(warm._LAST_RUN, None)
    warm.maintain(app)


@pytest.fixture
def preparing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Turn prepared sandboxes on (tests run with them off)."""
    settings = app.config["ACADEMY"].replace(
        lab_prepared_per_lab=2, lab_prepared_total=3, lab_prepared_minutes=30
    )
    monkeypatch.setitem(app.config, "ACADEMY", settings)
    return settings


def test_start_takes_a_prepared_sandbox_and_its_values(
    app, session, use_catalog, make_user, probe, preparing
):
    trainee = make_user()
    prepared = prepare(probe, use_catalog.version, age=timedelta(minutes=20))
    before = utcnow()
    lab_session = services.start_session(trainee.id, probe, use_catalog.version)
    session.commit()
    # The session is active at once, in the prepared sandbox, with the values set up there.
    assert lab_session.status == "active"
    assert lab_session.sandbox_id == prepared.sandbox_id
    assert (lab_session.seed, lab_session.values) == (prepared.seed, prepared.values)
    assert lab_session.values == draw_values(probe.values, lab_session.seed)
    # The clock counts from the claim, not from when the sandbox was prepared.
    assert as_utc(lab_session.ready_at) >= before
    assert as_utc(lab_session.expires_at) - as_utc(lab_session.ready_at) == timedelta(
        minutes=probe.time_limit_minutes
    )
    session.refresh(prepared)
    assert (prepared.status, prepared.session_id) == ("claimed", lab_session.id)
    sandbox = session.get(Sandbox, prepared.sandbox_id)
    assert (sandbox.owner_id, sandbox.purpose, sandbox.status) == (
        trainee.id,
        f"lab:{probe.id}",
        "ready",
    )
    hard = app.config["ACADEMY"].sandbox_hard_limit_minutes
    assert as_utc(sandbox.expires_at) >= before + timedelta(minutes=hard)
    # It never serves anyone else: the next trainee waits for a sandbox of their own.
    other = services.start_session(make_user().id, probe, use_catalog.version)
    session.commit()
    assert other.status == "starting"
    assert other.sandbox_id != prepared.sandbox_id


def test_a_plain_request_never_takes_a_prepared_sandbox(session, use_catalog, make_user, probe):
    prepared = prepare(probe, use_catalog.version)
    plain = sandboxes.request_sandbox(
        profile_key(host_specs(probe)), owner_id=make_user().id, purpose="admin:try"
    )
    assert plain.id != prepared.sandbox_id
    assert plain.status == SandboxStatus.REQUESTED.value


def test_another_content_version_is_not_handed_out_and_is_retired(
    app, session, use_catalog, make_user, probe, preparing
):
    stale = prepare(probe, "older-version")
    lab_session = services.start_session(make_user().id, probe, use_catalog.version)
    session.commit()
    assert lab_session.sandbox_id != stale.sandbox_id
    assert lab_session.status == "starting"
    maintain_now(app)
    session.refresh(stale)
    assert stale.status == PreparedStatus.DISCARDED.value
    assert "content" in (stale.error or "")
    assert session.get(Sandbox, stale.sandbox_id).status == SandboxStatus.EXPIRED.value


def test_old_prepared_sandboxes_are_retired_and_fresh_ones_kept(
    app, session, use_catalog, probe, preparing
):
    old = prepare(probe, use_catalog.version, age=timedelta(minutes=31))
    fresh = prepare(probe, use_catalog.version, age=timedelta(minutes=5))
    session.commit()
    maintain_now(app)
    session.refresh(old)
    session.refresh(fresh)
    assert old.status == PreparedStatus.DISCARDED.value
    assert session.get(Sandbox, old.sandbox_id).status == SandboxStatus.EXPIRED.value
    assert fresh.status == PreparedStatus.READY.value
    assert session.get(Sandbox, fresh.sandbox_id).status == SandboxStatus.READY.value


def test_a_prepared_sandbox_whose_sandbox_went_away_is_skipped(
    session, use_catalog, make_user, probe, preparing
):
    gone = prepare(probe, use_catalog.version, age=timedelta(minutes=2))
    session.get(Sandbox, gone.sandbox_id).status = SandboxStatus.EXPIRED.value  # evicted
    good = prepare(probe, use_catalog.version)
    lab_session = services.start_session(make_user().id, probe, use_catalog.version)
    assert lab_session.sandbox_id == good.sandbox_id
    session.refresh(gone)
    assert gone.status == PreparedStatus.READY.value  # not claimed; retired by maintain


def test_pool_size_follows_the_starts_of_the_last_hour(
    app, session, use_catalog, make_user, probe, preparing
):
    now = utcnow()
    assert warm.targets({probe.id: probe}, preparing, now) == {}
    for n in range(3):
        row = services.start_session(make_user().id, probe, use_catalog.version)
        row.started_at = now - timedelta(minutes=10 * n)
    old = services.start_session(make_user().id, probe, use_catalog.version)
    old.started_at = now - timedelta(hours=2)
    session.flush()
    assert warm.demand(now)[probe.id] == 3
    # Capped per lab.
    assert warm.targets({probe.id: probe}, preparing, now) == {probe.id: 2}
    one = preparing.replace(lab_prepared_per_lab=1)
    assert warm.targets({probe.id: probe}, one, now) == {probe.id: 1}
    # A lab whose setup needs the session's id cannot be prepared before the session exists.
    uses_session = dataclasses.replace(
        probe, setup=(Step(host="prod", script=Script("x.sh", 'echo "$LAB_SESSION"')),)
    )
    assert not warm.poolable(uses_session)
    assert warm.targets({probe.id: uses_session}, preparing, now) == {}


def test_setup_runs_in_a_booted_prepared_sandbox(
    app, session, use_catalog, probe, preparing, fake_sandbox
):
    prepared = prepare(probe, use_catalog.version)
    prepared.status = PreparedStatus.BOOTING.value
    prepared.ready_at = None
    session.commit()
    maintain_now(app)  # booted → setting up → (no supervisor here: runs at once) → ready
    session.refresh(prepared)
    assert prepared.status == PreparedStatus.READY.value, prepared.error
    setup = [c for c in fake_sandbox.calls if "probe-port" in c["script"]]
    assert setup, "the lab's setup did not run"
    assert setup[0]["env"]["LAB_MARKER"] == prepared.values["marker"]
    assert setup[0]["env"]["LAB_PORT"] == str(prepared.values["port"])


def test_a_failed_setup_discards_the_prepared_sandbox(
    app, session, use_catalog, probe, preparing, fake_sandbox
):
    fake_sandbox.fail_setup = True
    prepared = prepare(probe, use_catalog.version)
    prepared.status = PreparedStatus.BOOTING.value
    session.commit()
    maintain_now(app)
    session.refresh(prepared)
    assert prepared.status == PreparedStatus.DISCARDED.value
    assert "disk full" in (prepared.error or "")
    assert session.get(Sandbox, prepared.sandbox_id).status == SandboxStatus.EXPIRED.value
    assert warm._failed_lately(probe.id, utcnow())


# -- races on a committed database ------------------------------------------------------------


@pytest.fixture(scope="module")
def race_app(pg_server: Any) -> Iterator[Flask]:
    """An app whose rows are really committed, so Starts race on the database itself."""
    application = build_app(pg_server.create_database("academy_warm_race"))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_parallel_starts_claim_each_prepared_sandbox_once(race_app):
    catalog = build_catalog()
    probe = catalog.sections["labs"]["probe"]
    starters, ready = 6, 2
    with race_app.app_context():
        owners = [
            create_user(
                f"warm{n}-{uuid.uuid4().hex[:6]}@example.test", f"W {n}", PASSWORD, Role.TRAINEE
            ).id
            for n in range(starters)
        ]
        db.session.commit()
    for _ in range(3):
        with race_app.app_context():
            db.session.execute(delete(PreparedLab))
            db.session.execute(delete(LabSession))
            db.session.execute(delete(Sandbox))
            prepared = {prepare(probe, catalog.version).sandbox_id for _ in range(ready)}
            db.session.commit()
        barrier = threading.Barrier(starters)
        errors: list[BaseException] = []

        def start(
            owner_id: int, barrier: threading.Barrier = barrier, errors: list = errors
        ) -> None:
            try:
                with race_app.app_context():
                    barrier.wait(timeout=10)
                    services.start_session(owner_id, probe, catalog.version)
                    db.session.commit()
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=start, args=(o,)) for o in owners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with race_app.app_context():
            rows = db.session.execute(
                select(LabSession.id, LabSession.sandbox_id, LabSession.status, LabSession.seed)
            ).all()
            assert len(rows) == starters
            served = [r for r in rows if r.sandbox_id in prepared]
            assert len(served) == ready == len({r.sandbox_id for r in served})
            assert all(r.status == "active" for r in served)
            assert all(r.status == "starting" for r in rows if r.sandbox_id not in prepared)
            claims = db.session.execute(
                select(PreparedLab.session_id, PreparedLab.seed, PreparedLab.status)
            ).all()
            assert sorted(c.session_id for c in claims) == sorted(r.id for r in served)
            assert {c.seed for c in claims} == {r.seed for r in served}
            owners_of = db.session.scalars(
                select(Sandbox.owner_id).where(Sandbox.id.in_(prepared))
            ).all()
            assert len(set(owners_of)) == ready
            # Clean up (these sessions' sandboxes were never started on an engine).
            db.session.execute(delete(PreparedLab))
            db.session.execute(delete(LabSession))
            db.session.execute(delete(Sandbox))
            db.session.commit()


def test_an_interrupted_setup_is_given_up(app, session, use_catalog, probe, preparing):
    stuck = prepare(probe, use_catalog.version, age=warm.allowance(probe) + timedelta(minutes=1))
    stuck.status = PreparedStatus.SETTING_UP.value
    stuck.ready_at = None
    busy = prepare(probe, use_catalog.version, age=timedelta(minutes=1))
    busy.status = PreparedStatus.SETTING_UP.value
    session.commit()
    maintain_now(app)
    session.refresh(stuck)
    session.refresh(busy)
    assert stuck.status == PreparedStatus.DISCARDED.value
    assert "interrupted" in (stuck.error or "")
    assert busy.status == PreparedStatus.SETTING_UP.value


def test_a_trainee_short_of_room_retires_prepared_sandboxes_first(session, use_catalog, probe):
    from app.sandboxes import pool

    prepared = prepare(probe, use_catalog.version)
    freed = pool._evict_warm(1, keep=profile_key(host_specs(probe)))
    assert freed == 1
    assert session.get(Sandbox, prepared.sandbox_id).status == SandboxStatus.EXPIRED.value
