"""One run of the load bench: set up, measure for a fixed time, tear down.

1. Make the scratch trainees; log each in over HTTP; each starts a day quiz attempt.
2. Start the lab for the trainees who will hold terminals, wait until their sessions are
   active, and open their terminals with output flowing.
3. Measure for `seconds`: every trainee reads and saves answers; every open lab page polls and
   presses Check; a few seconds in, `starts` trainees press Start at once. The window stays
   open until those starts are active or given up, so each is timed under the same load.
4. Close the terminals, finish every lab session (their sandboxes are destroyed by the worker),
   wait for that, and remove the scratch trainees, whatever happened before.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from app.clock import utcnow
from app.loadbench import accounts, diagnose
from app.loadbench.actors import (
    START_TIMEOUT,
    Content,
    LabPage,
    Reader,
    Session,
    StartOutcome,
    start_lab,
    timed_start,
)
from app.loadbench.browser import BenchError, Browser, loopback_url, server_answers
from app.loadbench.stats import Recorder, RunFacts, build_report
from app.loadbench.terminals import Terminal

STARTS_AFTER = 3.0  # seconds into the window when the burst of starts is pressed
SETUP_WORKERS = 8  # logins and quiz starts in parallel while setting up
SETUP_STARTS = 4  # lab sessions for the terminals started at once while setting up
LOGIN_ATTEMPTS = 3  # a login that fails (no answer in time) is tried again
JOIN_SECONDS = 40.0


@dataclass(frozen=True)
class LoadPlan:
    """What to run against which server."""

    url: str
    sockets_url: str | None
    trainees: int = 100
    terminals: int = 50
    starts: int = 20
    seconds: float = 60.0
    lab: str = "slow-query"
    think: float = 2.5
    terminals_per_session: int = 4
    seed: int = 1

    @property
    def terminal_sessions(self) -> int:
        """Return how many lab sessions hold the terminals."""
        if not self.terminals:
            return 0
        return math.ceil(self.terminals / max(1, self.terminals_per_session))

    def check(self) -> None:
        """Refuse a plan that cannot run: remote targets, or fewer trainees than lab users."""
        loopback_url(self.url, ("http",))
        if self.sockets_url:
            loopback_url(self.sockets_url, ("ws", "http"))
        needed = self.terminal_sessions + self.starts
        if needed > self.trainees:
            raise BenchError(
                f"{self.terminal_sessions} trainees hold terminals and {self.starts} start labs: "
                f"give at least {needed} trainees"
            )


def content_for(lab_slug: str) -> Content:
    """Return the lessons, days, quizzes and lab the trainees work on (from the catalog)."""
    from app.content import get_catalog
    from app.content.labs import labs_of
    from app.content.questions import quiz_section

    catalog = get_catalog()
    lab = labs_of(catalog).get(lab_slug)
    if lab is None:
        raise BenchError(f"no lab {lab_slug!r}; there are {', '.join(labs_of(catalog))}")
    task = next((t for t in lab.tasks if all(c.kind != "answer" for c in t.checks)), lab.tasks[0])
    section = quiz_section(catalog)
    return Content(
        lessons=list(catalog.lessons),
        days=[day.id for day in catalog.days],
        quizzes=[q.id for d in catalog.days if (q := section.for_day(d.id)) is not None],
        lab=lab.id,
        check_task=task.id,
        continuous=lab.continuous,
    )


def _sockets_base(plan: LoadPlan, session: Session) -> str:
    """Return ws://host:port of the process serving terminals, as the page would find it."""
    origin = plan.sockets_url or session.socket_origin or plan.url
    parts = urlsplit(origin)
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    return loopback_url(f"{scheme}://{parts.netloc}", ("ws",))


class LoadRun:
    """The run's state: browsers, sessions, terminals, threads."""

    def __init__(self, app: Flask, plan: LoadPlan, say: Callable[[str], None]) -> None:
        self.app = app
        self.plan = plan
        self.say = say
        self.recorder = Recorder()
        self.stop = threading.Event()
        self.rng = random.Random(plan.seed)  # noqa: S311 - simulated behaviour, not secrets
        self.browsers: list[Browser] = []
        self.readers: list[Reader] = []
        self.sessions: dict[int, Session] = {}  # by trainee index
        self.active: set[int] = set()  # trainees whose session became active
        self.logged_in: set[int] = set()
        self.terminals: list[Terminal] = []
        self.threads: list[threading.Thread] = []
        self.outcomes: list[StartOutcome] = []
        self.cohort: accounts.ScratchCohort | None = None
        self.stalled = 0
        self.window: tuple[datetime, datetime] | None = None
        self.server: dict[str, Any] = {}

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run the whole bench and return its report."""
        plan = self.plan
        plan.check()
        if not server_answers(plan.url):
            raise BenchError(f"no platform answers at {plan.url} (is the server running?)")
        content = content_for(plan.lab)
        began = time.monotonic()
        teardown: dict[str, Any] = {}
        window = setup = 0.0
        try:
            self.cohort = accounts.create_trainees(plan.trainees)
            self.say(f"made {plan.trainees} scratch trainees (run {self.cohort.run})")
            self._log_in(content)
            self._open_terminals(content)
            setup = time.monotonic() - began
            window = self._measure(content)
        finally:
            self.stop.set()
            teardown = self._tear_down()
        return build_report(
            self.recorder,
            RunFacts(
                url=plan.url,
                sockets_url=plan.sockets_url or "(from the lab page)",
                lab=plan.lab,
                trainees=plan.trainees,
                terminals_requested=plan.terminals,
                terminals_open=sum(1 for t in self.terminals if t.opened),
                dropped_sockets=sum(1 for t in self.terminals if t.dropped),
                failed_sockets=sum(1 for t in self.terminals if not t.opened),
                stalled_sockets=self.stalled,
                terminal_bytes=sum(t.bytes for t in self.terminals),
                starts_requested=plan.starts,
                starts_ok=sum(1 for o in self.outcomes if o.seconds is not None),
                starts_failed=sum(1 for o in self.outcomes if o.error),
                seconds=window,
                setup_seconds=setup,
                teardown=teardown,
                server=self.server,
                window=(self.window[0].timestamp(), self.window[1].timestamp())
                if self.window
                else (0.0, 0.0),
            ),
        )

    def _log_in(self, content: Content) -> None:
        assert self.cohort is not None
        for n in range(len(self.cohort.trainees)):
            browser = Browser(
                self.plan.url, f"ops-academy-load-bench/1 (trainee {n})", self.recorder
            )
            self.browsers.append(browser)
            self.readers.append(
                Reader(
                    browser,
                    content,
                    random.Random(self.plan.seed * 1000 + n),  # noqa: S311 - simulated behaviour
                    self.plan.think,
                )
            )

        def prepare(n: int) -> None:
            assert self.cohort is not None
            trainee = self.cohort.trainees[n]
            for attempt in range(1, LOGIN_ATTEMPTS + 1):
                try:
                    self.browsers[n].log_in(trainee.email, trainee.password)
                    break
                except BenchError as error:
                    self.recorder.problem(f"login: {error}")
                    if attempt == LOGIN_ATTEMPTS:
                        return
            self.logged_in.add(n)
            self.readers[n].prepare_quiz()

        with ThreadPoolExecutor(SETUP_WORKERS, thread_name_prefix="bench-login") as pool:
            for future in [pool.submit(prepare, n) for n in range(len(self.browsers))]:
                future.result()
        missing = len(self.browsers) - len(self.logged_in)
        if missing > len(self.browsers) // 10:
            raise BenchError(f"{missing} of {len(self.browsers)} trainees could not log in")
        self.recorder.count("trainees_not_logged_in", missing)
        self.say(f"logged {len(self.logged_in)} trainees in; each has a quiz attempt open")

    def _open_terminals(self, content: Content) -> None:
        plan = self.plan
        count = plan.terminal_sessions
        if not count:
            return
        self.say(f"starting {count} lab sessions ({plan.lab}) for {plan.terminals} terminals")
        # A few at a time: these are set-up, not measured, and a burst only makes them slower.
        with ThreadPoolExecutor(SETUP_STARTS, thread_name_prefix="bench-setup") as pool:
            outcomes = list(
                pool.map(lambda n: start_lab(self.browsers[n], content, self.stop), range(count))
            )
        for n, outcome in enumerate(outcomes):
            if outcome.session is not None:
                self.sessions[n] = outcome.session
            if outcome.seconds is not None:
                self.active.add(n)
            if outcome.error:
                self.recorder.problem(f"lab start before measuring: {outcome.error}")
        ready = [o.seconds for o in outcomes if o.seconds is not None]
        if ready:
            self.say(
                f"{len(ready)} of {count} sessions active (slowest {max(ready):.1f} s); "
                "opening terminals"
            )
        left = plan.terminals
        for n, outcome in enumerate(outcomes):
            session = outcome.session
            if outcome.seconds is None or session is None or not session.socket_path:
                continue
            for k in range(min(plan.terminals_per_session, left)):
                terminal = Terminal(
                    self.browsers[n],
                    _sockets_base(plan, session),
                    session.socket_path,
                    self.recorder,
                    f"terminal-{n}-{k}",
                )
                self.terminals.append(terminal)
                left -= 1
        with ThreadPoolExecutor(SETUP_WORKERS, thread_name_prefix="bench-open") as pool:
            opened = sum(pool.map(lambda t: t.open(), self.terminals))
        for terminal in self.terminals:
            if terminal.dropped:
                self.recorder.problem(f"terminal: {terminal.dropped}")
        self.say(f"{opened} of {plan.terminals} terminals open with output flowing")

    def _measure(self, content: Content) -> float:
        plan = self.plan
        go = threading.Event()
        starters = range(plan.terminal_sessions, plan.terminal_sessions + plan.starts)
        self.outcomes = [StartOutcome() for _ in starters]
        for terminal in self.terminals:
            terminal.reset_gap()
        self.recorder.measuring = True
        began = time.monotonic()
        opened_at = utcnow()
        self.say(f"measuring for {plan.seconds:.0f} s")
        for n, reader in enumerate(self.readers):
            if n in self.logged_in:
                self._spawn(reader.run, self.stop)
        for n, session in self.sessions.items():
            if n in self.active:
                self._spawn(self._lab_page(n, session, content).run, self.stop)
        for slot, n in enumerate(starters):
            self._spawn(self._start_then_work, n, slot, content, go)
        self.stop.wait(STARTS_AFTER)
        go.set()
        limit = began + plan.seconds + START_TIMEOUT
        while time.monotonic() < limit:
            elapsed = time.monotonic() - began
            resolved = all(o.seconds is not None or o.error for o in self.outcomes)
            if elapsed >= plan.seconds and resolved:
                break
            time.sleep(0.2)
        self.stalled = sum(1 for t in self.terminals if t.stalled)
        window = time.monotonic() - began
        self.recorder.measuring = False
        self.stop.set()
        self.window = (opened_at, utcnow())
        return window

    def _lab_page(self, n: int, session: Session, content: Content) -> LabPage:
        sandbox_status = None
        if session.socket_path:
            # /sandboxes/<id>/terminal → /sandboxes/<id>/status, polled by the terminal panel.
            sandbox_status = urlsplit(session.socket_path).path.rsplit("/", 1)[0] + "/status"
        return LabPage(
            self.browsers[n],
            content,
            session,
            sandbox_status,
            random.Random(self.plan.seed * 7919 + n),  # noqa: S311 - simulated behaviour
        )

    def _start_then_work(self, n: int, slot: int, content: Content, go: threading.Event) -> None:
        outcome = timed_start(self.browsers[n], content, self.stop, go)
        self.outcomes[slot] = outcome
        if outcome.session is not None:
            self.sessions[n] = outcome.session
        if outcome.seconds is not None and outcome.session is not None:
            self._lab_page(n, outcome.session, content).run(self.stop)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    # -- tearing down -----------------------------------------------------------------------

    def _tear_down(self) -> dict[str, Any]:
        """Close terminals, finish sessions, wait for their sandboxes, remove the trainees.

        Each step runs whatever the previous one did: the trainees are removed in any case.
        """
        summary: dict[str, Any] = {}
        try:
            self._close_pages(summary)
            if self.cohort is not None:
                with self.app.app_context():
                    self._diagnose()
                    self._finish_sandboxes(self.cohort.user_ids, summary)
        finally:
            if self.cohort is not None:
                with self.app.app_context():
                    summary.update(accounts.remove_trainees(self.app, self.cohort))
                self.say(f"removed the scratch trainees ({summary.get('users_removed', 0)})")
        return summary

    def _close_pages(self, summary: dict[str, Any]) -> None:
        deadline = time.monotonic() + JOIN_SECONDS
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        for terminal in self.terminals:
            terminal.close()
        finished = 0
        for n, session in list(self.sessions.items()):
            reply = self.browsers[n].post_form(f"/labs/sessions/{session.id}/finish", "lab finish")
            finished += reply.status == 302
        for browser in self.browsers:
            browser.close()
        summary["sessions_finished"] = finished

    def _diagnose(self) -> None:
        if self.window is None or self.cohort is None:
            return
        timed = [o.session.id for o in self.outcomes if o.session is not None]
        try:
            self.server = diagnose.server_side(self.cohort.user_ids, timed, *self.window)
        except Exception as error:  # the figures are a bonus; the clean-up must go on
            self.recorder.problem(f"reading the server-side figures failed: {error}")

    def _finish_sandboxes(self, ids: list[int], summary: dict[str, Any]) -> None:
        summary["sessions_finished_in_db"] = accounts.finish_open_sessions(ids)
        self.say("waiting for the worker to destroy the bench's sandboxes")
        left = accounts.wait_sandboxes_gone(ids)
        summary["sandboxes_left"] = len(left)
        if left:
            self.recorder.problem(
                f"{len(left)} sandboxes not destroyed in time (released; the worker "
                f"destroys them): {', '.join(s[:8] for s in left)}"
            )


def run_load(app: Flask, plan: LoadPlan, say: Callable[[str], None]) -> dict[str, Any]:
    """Run the load bench against the server at plan.url and return the report."""
    return LoadRun(app, plan, say).run()
