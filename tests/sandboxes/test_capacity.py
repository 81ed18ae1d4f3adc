"""Small subnets from the platform's range, capacity by every resource, and start back-off."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta
from ipaddress import IPv4Network

import docker
import pytest
from sqlalchemy import delete, func, select

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import utcnow
from app.extensions import db
from app.sandboxes import pool
from app.sandboxes.capacity import IDLE_HOST_MB, PROBE_MB, RESERVED_MB, machine_memory_mb
from app.sandboxes.models import Sandbox, SandboxStatus
from app.sandboxes.pool import BACKOFF_FIRST, BACKOFF_MAX, capacity, start_backoff
from app.sandboxes.services import DEFAULT_PROFILE, request_sandbox
from app.sandboxes.subnets import SandboxNetworks, free_subnet, prefix_for, subnets_left
from tests.conftest import PASSWORD, login

SPACE = IPv4Network("10.213.0.0/16")


# -- subnets (no engine) ------------------------------------------------------------------------


@pytest.mark.parametrize(("hosts", "prefix"), [(1, 28), (6, 28), (7, 27), (14, 27), (15, 26)])
def test_a_subnet_holds_every_host_and_its_probe(hosts, prefix):
    assert prefix_for(hosts) == prefix
    assert 2 ** (32 - prefix) - 3 >= 2 * hosts


def test_the_first_free_subnet_skips_every_overlapping_network():
    used = [
        IPv4Network("10.213.0.0/28"),
        IPv4Network("10.213.0.16/28"),
        IPv4Network("10.213.0.40/29"),  # someone else's odd-sized network
        IPv4Network("192.168.0.0/16"),  # outside the range: no matter
    ]
    assert free_subnet(SPACE, used, 28) == IPv4Network("10.213.0.48/28")
    assert free_subnet(SPACE, used, 27) == IPv4Network("10.213.0.64/27")
    assert subnets_left(SPACE, used, 28) == 4096 - 3
    everything = [IPv4Network("10.213.0.0/17"), IPv4Network("10.213.128.0/17")]
    assert free_subnet(SPACE, everything, 28) is None
    assert subnets_left(SPACE, everything, 28) == 0
    # A wider network overlapping the range (a /12 of the engine's default pools) takes it all.
    assert free_subnet(SPACE, [IPv4Network("10.208.0.0/12")], 28) is None


def test_a_random_free_subnet_is_free_and_aligned():
    used = [IPv4Network(f"10.213.{n}.0/24") for n in range(0, 256, 2)]
    for _ in range(50):
        subnet = free_subnet(SPACE, used, 28, pick_random=True)
        assert subnet is not None
        assert subnet.subnet_of(SPACE)
        assert not any(subnet.overlaps(u) for u in used)
        assert int(subnet.network_address) % 16 == 0


# -- subnets on the real engine -----------------------------------------------------------------


def _remove_networks(api: docker.APIClient, label: str) -> None:
    for network in api.networks(filters={"label": label}):
        api.remove_network(network["Id"])


@pytest.mark.docker
def test_far_more_than_thirty_networks_can_be_made(runtime):
    """The engine's default pools ran out at about 31 networks; the range holds thousands."""
    label = f"academy.test-networks={uuid.uuid4().hex[:8]}"
    key, value = label.split("=")
    networks = SandboxNetworks(str(SPACE))
    made = []
    try:
        for _ in range(45):
            sandbox_id = uuid.uuid4().hex
            made.append(
                networks.create(
                    runtime.api,
                    f"ac-test-{sandbox_id}",
                    sandbox_id=sandbox_id,
                    hosts=1,
                    internal=True,
                    labels={key: value},
                )
            )
        assert len(set(made)) == 45
        assert all(s.subnet_of(SPACE) and s.prefixlen == 28 for s in made)
        left = networks.usage(runtime.api)
        assert left.total == 4096
        assert left.free <= 4096 - 45
    finally:
        _remove_networks(runtime.api, label)


@pytest.mark.docker
def test_two_workers_racing_for_subnets_both_get_distinct_ones(runtime):
    """Two processes' allocators (separate locks) pick the same first-free subnet; the engine
    refuses the second, which retries with another."""
    label = f"academy.test-networks={uuid.uuid4().hex[:8]}"
    key, value = label.split("=")
    results: list[IPv4Network] = []
    errors: list[BaseException] = []

    def worker() -> None:
        networks = SandboxNetworks(str(SPACE))  # a lock of its own, as in another process
        try:
            for _ in range(8):
                sandbox_id = uuid.uuid4().hex
                results.append(
                    networks.create(
                        runtime.api,
                        f"ac-test-{sandbox_id}",
                        sandbox_id=sandbox_id,
                        hosts=1,
                        internal=True,
                        labels={key: value},
                    )
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        assert len(results) == 24
        assert len(set(results)) == 24
    finally:
        _remove_networks(runtime.api, label)


# -- capacity -----------------------------------------------------------------------------------


@pytest.mark.docker
def test_capacity_is_the_tightest_of_memory_cpu_disk_and_networks(sandbox_app):
    settings = sandbox_app.config["ACADEMY"]
    with sandbox_app.app_context():
        room = capacity(sandbox_app, settings)
    bounds = {b.resource: b for b in room.bounds}
    assert set(bounds) >= {"memory", "cpu", "disk", "networks"}
    per_host = settings.sandbox_memory_mb + PROBE_MB
    assert bounds["memory"].hosts == (machine_memory_mb() - RESERVED_MB) // per_host
    assert f"{PROBE_MB} MB" in bounds["memory"].detail
    assert "every disk full" in bounds["disk"].detail
    assert "/28 subnets free in 10.213.0.0/16" in bounds["networks"].detail
    assert room.hosts == min(b.hosts for b in room.bounds)
    assert room.limit is not None
    assert room.limit.hosts == room.hosts
    assert room.refusal is None


@pytest.mark.docker
def test_overcommitting_budgets_idle_use_against_what_is_free(sandbox_app):
    settings = sandbox_app.config["ACADEMY"].replace(sandbox_max_hosts=500)
    with sandbox_app.app_context():
        room = capacity(sandbox_app, settings)
    bounds = {b.resource: b for b in room.bounds}
    assert bounds["configured"].hosts == 500
    assert f"{IDLE_HOST_MB} MB per idle host" in bounds["memory"].detail
    assert "per idle host" in bounds["disk"].detail


@pytest.mark.docker
def test_below_the_disk_reserve_nothing_starts_and_people_are_told(sandbox_app, people):
    huge = sandbox_app.config["ACADEMY"].replace(disk_reserve_mb=10**9, sandbox_pool_size=1)
    saved = sandbox_app.config["ACADEMY"]
    sandbox_app.config["ACADEMY"] = huge
    try:
        with sandbox_app.app_context():
            room = capacity(sandbox_app, huge)
            assert room.refusal is not None
            assert "of disk is free" in room.refusal
            assert room.free == 0
            sandbox = request_sandbox(DEFAULT_PROFILE, people.owner.id, "test:refused")
            db.session.commit()
            sandbox_id = sandbox.id
            pool.fulfil_requests(sandbox_app)
            pool.fill_pool(sandbox_app)
            row = db.session.get(Sandbox, sandbox_id)
            assert row is not None
            assert row.status == SandboxStatus.REQUESTED.value
            assert row.progress.startswith("Waiting for room:")
            assert "of disk is free" in row.progress
            assert not db.session.scalar(
                select(func.count()).where(Sandbox.purpose == "pool", Sandbox.status != "failed")
            )
        client = sandbox_app.test_client()
        login(client, people.admin)
        body = client.get("/admin/sandboxes").get_data(as_text=True)
        assert "No sandbox starts now" in body
        assert "of disk is free" in body
    finally:
        sandbox_app.config["ACADEMY"] = saved
        with sandbox_app.app_context():
            db.session.execute(delete(Sandbox).where(Sandbox.purpose == "test:refused"))
            db.session.commit()


# -- back-off -----------------------------------------------------------------------------------


def _failed_row(profile: str, now: datetime, minutes_ago: float, ready: bool = False) -> Sandbox:
    at = now - timedelta(minutes=minutes_ago)
    return Sandbox(
        profile=profile,
        status=SandboxStatus.FAILED.value,
        purpose="pool",
        error="boom: could not find an available, non-overlapping IPv4 address pool",
        created_at=at,
        ready_at=at if ready else None,
        destroyed_at=at,
    )


def test_failed_starts_back_off_exponentially_up_to_a_cap(session):
    profile = f"prod=impactlink-server@t{uuid.uuid4().hex[:8]}"
    now = utcnow()
    assert start_backoff(profile, now) is None
    session.add(_failed_row(profile, now, 0.5, ready=True))  # worked once, failed later: a success
    session.flush()
    assert start_backoff(profile, now) is None
    session.add(_failed_row(profile, now, 0.4))
    session.flush()
    first = start_backoff(profile, now)
    assert first is not None
    assert first.failures == 1
    assert "non-overlapping" in first.error
    assert first.retry_at - (now - timedelta(minutes=0.4)) == BACKOFF_FIRST
    for n in range(3):
        session.add(_failed_row(profile, now, 0.3 - n * 0.05))
    session.flush()
    fourth = start_backoff(profile, now)
    assert fourth is not None
    assert fourth.failures == 4
    assert fourth.retry_at - (now - timedelta(minutes=0.2)) == BACKOFF_FIRST * 8
    for n in range(8):
        session.add(_failed_row(profile, now, 0.1 - n * 0.01))
    session.flush()
    capped = start_backoff(profile, now)
    assert capped is not None
    assert capped.retry_at - (now - timedelta(minutes=0.03)) == BACKOFF_MAX
    assert capped.waiting(now)


@pytest.mark.docker
def test_a_failing_pool_backs_off_instead_of_looping(pg_server, monkeypatch):
    """The pool once retried 21,270 failed starts in 10 minutes; now a few, then it waits."""
    from tests.browser import build_app

    app = build_app(pg_server.create_database("academy_backoff"), sandbox_pool_size=2)
    monkeypatch.setattr(pool, "PROFILE_SOURCES", [])

    def broken(*args, **kwargs):
        raise RuntimeError("could not find an available, non-overlapping IPv4 address pool")

    with app.app_context():
        admin = create_user(f"a-{uuid.uuid4().hex[:6]}@example.test", "Admin", PASSWORD, Role.ADMIN)
        db.session.commit()
        db.session.refresh(admin)
        db.session.expunge(admin)
        runtime = pool.get_runtime(app, images=[])
        monkeypatch.setattr(runtime, "create", broken)
        # 20 seconds of ticks: the first batch fails, the pool waits 5 s doubling per failure
        # (two failures: 10 s), one more batch fails, then it waits 40 s.
        ticks, started = 0, time.monotonic()
        while time.monotonic() - started < 20:
            pool.fill_pool(app)
            db.session.remove()
            ticks += 1
            time.sleep(0.05)
        failed = db.session.scalar(
            select(func.count()).where(Sandbox.status == SandboxStatus.FAILED.value)
        )
        assert ticks >= 50
        assert 1 <= failed <= 2 * pool.POOL_STARTS_AT_ONCE
        backoff = start_backoff(DEFAULT_PROFILE, utcnow())
        assert backoff is not None
        assert backoff.waiting(utcnow())
    client = app.test_client()
    login(client, admin)
    body = client.get("/admin/sandboxes").get_data(as_text=True)
    assert f"{failed} in a row" in body
    assert "non-overlapping" in body
    with app.app_context():
        db.engine.dispose()
