"""The supervisor's job pool runs what a trainee waits on before new starts and background work."""

from __future__ import annotations

import threading

import pytest

from app.sandboxes.supervisor import BACKGROUND, FINISH, START, PriorityPool


def blocked_pool() -> tuple[PriorityPool, threading.Event, list[str]]:
    """A one-thread pool busy with a job that runs until the returned event is set."""
    pool = PriorityPool(1, "test-job")
    release = threading.Event()
    ran: list[str] = []
    pool.submit(FINISH, release.wait)
    return pool, release, ran


def test_queued_jobs_run_finishing_work_first_then_starts_then_background():
    pool, release, ran = blocked_pool()
    futures = [
        pool.submit(BACKGROUND, ran.append, "warm the pool"),
        pool.submit(START, ran.append, "start trainee A's sandbox"),
        pool.submit(FINISH, ran.append, "set up trainee B's lab"),
        pool.submit(START, ran.append, "start trainee C's sandbox"),
        pool.submit(FINISH, ran.append, "remove a sandbox"),
    ]
    release.set()
    for future in futures:
        future.result(timeout=10)
    pool.shutdown()
    assert ran == [
        "set up trainee B's lab",
        "remove a sandbox",
        "start trainee A's sandbox",
        "start trainee C's sandbox",
        "warm the pool",
    ]


def test_a_failing_job_hands_its_error_to_its_future_and_the_pool_goes_on():
    pool = PriorityPool(2, "test-job")

    def fail() -> None:
        raise ValueError("the engine said no")

    failed = pool.submit(START, fail)
    with pytest.raises(ValueError, match="the engine said no"):
        failed.result(timeout=10)
    assert pool.submit(START, lambda: 42).result(timeout=10) == 42
    pool.shutdown()


def test_shutting_down_with_cancel_drops_the_queue_and_refuses_new_jobs():
    pool, release, ran = blocked_pool()
    queued = pool.submit(START, ran.append, "never")
    threading.Timer(0.2, release.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    assert queued.cancelled()
    assert ran == []
    with pytest.raises(RuntimeError):
        pool.submit(FINISH, ran.append, "too late")


def test_shutting_down_without_cancel_finishes_the_queue():
    pool, release, ran = blocked_pool()
    queued = pool.submit(BACKGROUND, ran.append, "last")
    threading.Timer(0.2, release.set).start()
    pool.shutdown(wait=True)
    assert queued.done()
    assert ran == ["last"]
