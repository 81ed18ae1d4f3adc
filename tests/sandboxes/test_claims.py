"""Claims, requests, expiry bookkeeping: the database side of sandboxes (no engine needed)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import as_utc, utcnow
from app.extensions import db
from app.sandboxes import services
from app.sandboxes.models import Sandbox, SandboxStatus
from app.sandboxes.services import DEFAULT_PROFILE
from tests.browser import build_app
from tests.conftest import PASSWORD


def _warm(profile: str = DEFAULT_PROFILE, **values: object) -> Sandbox:
    values.setdefault("status", SandboxStatus.WARM.value)
    sandbox = Sandbox(profile=profile, ready_at=utcnow(), progress="Warm", **values)
    db.session.add(sandbox)
    db.session.flush()
    return sandbox


def test_a_request_claims_a_warm_sandbox_of_its_profile(session, make_user):
    trainee = make_user(Role.TRAINEE)
    other_profile = _warm("prod=impactlink-server,staging=impactlink-server")
    warm = _warm()
    sandbox = services.request_sandbox(DEFAULT_PROFILE, trainee.id, "lab:deploy")
    assert sandbox.id == warm.id
    assert sandbox.status == SandboxStatus.CLAIMED.value
    assert (sandbox.owner_id, sandbox.purpose) == (trainee.id, "lab:deploy")
    assert sandbox.claimed_at is not None
    assert session.get(Sandbox, other_profile.id).status == SandboxStatus.WARM.value


def test_without_a_warm_one_a_request_row_waits_for_the_supervisor(session, make_user):
    trainee = make_user(Role.TRAINEE)
    sandbox = services.request_sandbox(DEFAULT_PROFILE, trainee.id, "lab:deploy")
    assert sandbox.status == SandboxStatus.REQUESTED.value
    assert sandbox.progress
    assert services.sandbox_for(sandbox.id) is sandbox
    assert services.sandbox_for("not-an-id") is None


def test_profiles_round_trip_and_bad_ones_are_refused():
    hosts = services.parse_profile(
        "prod=impactlink-server,staging=impactlink-server@impactlink-stg"
    )
    assert [(h.name, h.image, h.hostname) for h in hosts] == [
        ("prod", "impactlink-server", "prod"),
        ("staging", "impactlink-server", "impactlink-stg"),
    ]
    assert (
        services.profile_key(hosts)
        == "prod=impactlink-server,staging=impactlink-server@impactlink-stg"
    )
    for bad in ("", "prod", "Prod=x", "prod=x,prod=y", "prod=bad image", "prod=x@Bad_Host"):
        with pytest.raises(services.ProfileError):
            services.parse_profile(bad)
    with pytest.raises(services.ProfileError):
        services.profile_key([])


def test_a_host_that_manages_its_firewall_keeps_that_through_its_profile():
    key = "prod=impactlink-server+net_admin,ns1=impactlink-server"
    hosts = services.parse_profile(key)
    assert [(h.name, h.net_admin) for h in hosts] == [("prod", True), ("ns1", False)]
    assert services.profile_key(hosts) == key
    # A different profile from the same hosts without it: never handed out for one another.
    assert services.profile_key(services.parse_profile("prod=impactlink-server")) != (
        services.profile_key(hosts[:1])
    )


def test_extend_touch_release_and_deadlines(app, session, make_user):
    settings = app.config["ACADEMY"]
    trainee = make_user(Role.TRAINEE)
    now = utcnow()
    sandbox = _warm(
        status=SandboxStatus.READY.value,
        owner_id=trainee.id,
        expires_at=now + timedelta(minutes=10),
    )
    sandbox.last_activity_at = now
    sandbox.warning = "closes soon"
    session.flush()
    closes = services.deadline(sandbox, settings)
    assert closes is not None
    assert closes.reason == "time limit"
    extended = services.extend(sandbox.id, 30)
    assert as_utc(extended.expires_at) >= now + timedelta(minutes=39)
    assert extended.warning is None
    # Extending never gives more than one full limit from now.
    services.extend(sandbox.id, 100_000)
    assert as_utc(sandbox.expires_at) <= utcnow() + timedelta(
        minutes=settings.sandbox_hard_limit_minutes
    )
    sandbox.warning = "closes soon"
    session.flush()
    services.touch(sandbox.id)
    session.refresh(sandbox)
    assert sandbox.warning is None
    status = services.status_of(sandbox, settings)
    assert status["ready"] is True
    assert status["closes_at"]
    services.release(sandbox.id)
    session.refresh(sandbox)
    assert sandbox.status == SandboxStatus.EXPIRED.value
    with pytest.raises(ValueError, match="ready"):
        services.extend(sandbox.id, 10)


def test_recordings_for_lists_a_users_recordings_newest_first(session, make_user):
    from app.sandboxes.models import TerminalRecording

    trainee = make_user(Role.TRAINEE)
    sandbox = _warm(owner_id=trainee.id)
    older = TerminalRecording(
        sandbox_id=sandbox.id,
        user_id=trainee.id,
        host="prod",
        path="recordings/a.cast",
        started_at=utcnow() - timedelta(hours=1),
    )
    newer = TerminalRecording(
        sandbox_id=sandbox.id, user_id=trainee.id, host="prod", path="recordings/b.cast"
    )
    session.add_all([older, newer])
    session.flush()
    assert [r.id for r in services.recordings_for(trainee.id)] == [newer.id, older.id]
    assert services.recordings_for(trainee.id + 1000) == []


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def claims_app(request, pg_server, tmp_path_factory) -> Iterator[Flask]:
    """An app whose rows are really committed, so threads race on the database itself."""
    if request.param == "postgresql":
        url = pg_server.create_database("academy_claims")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('claims') / 'claims.sqlite3'}"
    app = build_app(url)
    yield app
    with app.app_context():
        db.engine.dispose()


def _race(app: Flask, owners: list[int]) -> list[tuple[str, str]]:
    """Let every owner request a sandbox at the same moment, each on its own thread."""
    barrier = threading.Barrier(len(owners))
    results: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def claim(owner_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                sandbox = services.request_sandbox(DEFAULT_PROFILE, owner_id, "race")
                db.session.commit()
                results.append((sandbox.id, sandbox.status))
        except BaseException as error:  # reported by the caller's assertion
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_concurrent_claims_never_get_the_same_sandbox(claims_app):
    threads_per_round, warm_per_round = 8, 3
    with claims_app.app_context():
        owners = [
            create_user(
                f"racer{n}-{uuid.uuid4().hex[:6]}@example.test",
                f"Racer {n}",
                PASSWORD,
                Role.TRAINEE,
            ).id
            for n in range(threads_per_round)
        ]
        db.session.commit()
    for _ in range(5):
        with claims_app.app_context():
            db.session.execute(delete(Sandbox))
            warm_ids = {_warm().id for _ in range(warm_per_round)}
            db.session.commit()
        results = _race(claims_app, owners)
        claimed = [
            sandbox_id for sandbox_id, status in results if status == SandboxStatus.CLAIMED.value
        ]
        assert len(claimed) == len(set(claimed)) == warm_per_round
        assert set(claimed) == warm_ids
        with claims_app.app_context():
            owners_of = dict(
                db.session.execute(
                    select(Sandbox.id, Sandbox.owner_id).where(Sandbox.id.in_(claimed))
                ).all()
            )
            assert len(set(owners_of.values())) == warm_per_round
            waiting = db.session.scalars(
                select(Sandbox).where(Sandbox.status == SandboxStatus.REQUESTED.value)
            ).all()
            assert len(waiting) == threads_per_round - warm_per_round
