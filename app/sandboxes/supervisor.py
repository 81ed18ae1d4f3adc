"""The supervisor: a loop that runs background tasks every tick and long jobs on a thread pool.

It runs in a thread under `academy serve` (the single-machine default, setting
`supervisor_in_web`) or in the foreground as `academy worker`. Several workers may run against
one PostgreSQL database: tasks that hand things out use row locks.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from app.extensions import db

log = logging.getLogger("academy.supervisor")

# Run every tick, in this order, each in its own app context: "module:function", taking (app).
# Other features append their own (lab setups, queued checks).
TASKS: list[str] = [
    # Installs the host firewall on the first tick, then verifies (and repairs) it every 30 s.
    "app.sandboxes.firewall:verify_periodically",
    "app.sandboxes.reaper:reconcile_periodically",
    "app.sandboxes.pool:fulfil_requests",
    "app.sandboxes.reaper:reap_expired",
    "app.sandboxes.pool:fill_pool",
    "app.sandboxes.recordings:prune_periodically",
    # What processes without an engine (the web service under docker-compose) read about it.
    "app.sandboxes.report:write_periodically",
]

TICK_SECONDS = 0.5
JOB_WORKERS = 4
# The job pool's order: finishing what a trainee waits on (a lab's setup, a reset, a cleanup, a
# sandbox's removal) goes before starting sandboxes for trainees, which goes before background
# work (filling the warm pool, preparing sandboxes ahead). A burst of twenty Start presses then
# brings labs up one by one instead of leaving every started sandbox waiting for its setup
# behind the other starts.
FINISH, START, BACKGROUND = 0, 1, 2
# Short jobs someone is waiting for (a Check press) get threads of their own, so they never
# queue behind sandbox starts and lab setups that hold a job thread for tens of seconds. A
# check run mostly waits on the engine: under `bench load` four threads left presses waiting
# 10 to 14 s for a thread; with eight, 0.5 s.
QUICK_WORKERS = 8
# Run every QUICK_TICK by a loop of their own, beside TASKS: cheap tasks that only hand out
# quick jobs (queued check runs), so a press is picked up without waiting for a whole tick.
QUICK_TASKS: list[str] = []
QUICK_TICK = 0.1
EXTENSION = "academy.supervisor"


class Supervisor:
    """Runs TASKS every tick (or at once on wake()) and long jobs on a bounded pool."""

    def __init__(
        self, app: Flask, *, tick: float = TICK_SECONDS, workers: int = JOB_WORKERS
    ) -> None:
        self.app = app
        self.tick = tick
        self.jobs = PriorityPool(workers, "sandbox-job")
        self.quick = ThreadPoolExecutor(
            max_workers=QUICK_WORKERS, thread_name_prefix="sandbox-quick"
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[Any, ...], Future[None]] = {}
        self._thread: threading.Thread | None = None
        self.ticks = 0

    # -- running ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a background thread."""
        self.app.extensions[EXTENSION] = self
        self._thread = threading.Thread(target=self.run, name="sandbox-supervisor", daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Reconcile with the engine once, then run the tasks until stop() is called."""
        self.app.extensions[EXTENSION] = self
        self._call("app.sandboxes.firewall:install_at_start")
        self._call("app.sandboxes.reaper:reconcile")
        self._call("app.sandboxes.reaper:reset_weights")
        log.info("supervisor running (%d tasks, tick %.1f s)", len(TASKS), self.tick)
        if QUICK_TASKS:
            threading.Thread(target=self._run_quick, name="sandbox-quick-loop", daemon=True).start()
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self.tick)
            self._wake.clear()

    def run_once(self) -> None:
        """Run every task once."""
        for dotted in list(TASKS):
            if self._stop.is_set():
                return
            self._call(dotted)
        self.ticks += 1

    def _run_quick(self) -> None:
        while not self._stop.is_set():
            for dotted in list(QUICK_TASKS):
                self._call(dotted)
            self._stop.wait(QUICK_TICK)

    def _call(self, dotted: str) -> None:
        module_name, _, function = dotted.partition(":")
        with self.app.app_context():
            try:
                getattr(importlib.import_module(module_name), function)(self.app)
            except Exception:
                db.session.rollback()
                log.exception("supervisor task %s failed", dotted)
            finally:
                db.session.remove()

    def wake(self) -> None:
        """Run the tasks now instead of at the next tick."""
        self._wake.set()

    def halt(self) -> None:
        """Ask the loop to end after the current task (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 60) -> None:
        """Stop the loop and wait for running jobs to finish."""
        self.halt()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.jobs.shutdown(wait=True, cancel_futures=True)
        self.quick.shutdown(wait=True, cancel_futures=True)
        if self.app.extensions.get(EXTENSION) is self:
            del self.app.extensions[EXTENSION]

    # -- jobs ---------------------------------------------------------------------------------

    def submit(
        self, fn: Callable[..., None], *args: Any, quick: bool = False, priority: int = FINISH
    ) -> bool:
        """Run fn(*args) on the job pool in priority order (quick: on the quick pool) in its own
        app context; False if already queued or running."""
        key = (fn.__module__, fn.__qualname__, *args)
        with self._lock:
            if key in self._in_flight:
                return False
            try:
                if quick:
                    future = self.quick.submit(self._job, key, fn, args)
                else:
                    future = self.jobs.submit(priority, self._job, key, fn, args)
            except RuntimeError:  # shutting down
                return False
            self._in_flight[key] = future
        return True

    def _job(self, key: tuple[Any, ...], fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            with self.app.app_context():
                try:
                    fn(*args)
                except Exception:
                    db.session.rollback()
                    log.exception("supervisor job %s%r failed", fn.__qualname__, args)
                finally:
                    db.session.remove()
        finally:
            with self._lock:
                self._in_flight.pop(key, None)
            # Finished work (a sandbox warm, one destroyed) often means a task has more to do.
            self._wake.set()

    def in_flight(self, value: object) -> bool:
        """Tell whether a job with value among its arguments is queued or running."""
        with self._lock:
            return any(value in key[2:] for key in self._in_flight)

    def drain(self, timeout: float = 120) -> bool:
        """Wait until no job is queued or running (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._in_flight:
                    return True
            time.sleep(0.05)
        return False


class PriorityPool:
    """A fixed set of threads running submitted calls, lowest priority number first (in order
    of submission within one priority)."""

    def __init__(self, workers: int, name: str) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, priority: int, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue fn(*args); RuntimeError once the pool is shut down."""
        if self._closed:
            raise RuntimeError("the pool is shut down")
        future: Future[Any] = Future()
        self._queue.put((priority, next(self._order), (future, fn, args)))
        return future

    def _work(self) -> None:
        while True:
            _priority, _order, item = self._queue.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Take no more calls; cancel the queued ones if asked; end the threads after the queue
        (or at once when cancelling) and wait for them if asked."""
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    _priority, _order, item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._queue.put((sys.maxsize, next(self._order), None))
        if wait:
            for thread in self._threads:
                thread.join()


def supervisor_of(app: Flask) -> Supervisor | None:
    """Return the supervisor running in this process for app, if any."""
    found = app.extensions.get(EXTENSION)
    return found if isinstance(found, Supervisor) else None


def submit(
    fn: Callable[..., None], *args: Any, quick: bool = False, priority: int = FINISH
) -> bool:
    """Queue a job on the current app's supervisor (run it here and now when there is none)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    supervisor = supervisor_of(app)
    if supervisor is not None:
        return supervisor.submit(fn, *args, quick=quick, priority=priority)
    fn(*args)
    return True


def in_flight(value: object) -> bool:
    """Tell whether this process has a job queued or running for value (e.g. a sandbox id)."""
    supervisor = supervisor_of(current_app._get_current_object())  # type: ignore[attr-defined]
    return supervisor is not None and supervisor.in_flight(value)


def wake(app: Flask) -> None:
    """Wake this process's supervisor, if it runs here (a separate worker polls every tick)."""
    supervisor = supervisor_of(app)
    if supervisor is not None:
        supervisor.wake()


def start_in_background(app: Flask) -> Supervisor | None:
    """Start the supervisor in a thread when settings say the web process runs it."""
    if not app.config["ACADEMY"].supervisor_in_web:
        return None
    supervisor = Supervisor(app)
    supervisor.start()
    return supervisor
