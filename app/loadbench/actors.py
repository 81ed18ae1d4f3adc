"""What each simulated trainee does, as their browser's pages would do it.

`Reader`: reads lessons (with the page's reading-time beat), saves quiz answers, looks at the
plan, with a think time between actions. `LabPage`: an open lab page: the status poll every
second, a continuous check every 5 s, the terminal panel's sandbox poll every 15 s, and a Check
press now and then, timed until its result is shown. `start_lab`: a Start press, timed until
the session is active.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from app.loadbench.browser import Browser, Reply
from app.loadbench.pages import Field, answers, read_page
from app.loadbench.stats import CHECK_PRESS, LESSON, START

STATUS_EVERY = 1.0  # the lab page's poll while nothing is pending
AUTO_EVERY = 5.0  # continuous checking
SANDBOX_EVERY = 15.0  # the terminal panel's own status poll
FAST_POLL = 0.1  # while a Check press is pending, for its first second...


def pending_poll(pending_s: float) -> float:
    """Return the lab page's pause before its next poll of a press pending for pending_s."""
    if pending_s < 1.0:
        return FAST_POLL
    return 0.25 if pending_s < 3.0 else 0.5  # ...then backing off, as the page does


def start_poll(waiting_s: float) -> float:
    """Return the lab page's pause before its next status poll while the lab starts (lab.js):
    twice a second for the first 5 s, then every second, and every 2 s after 30 s."""
    if waiting_s < 5.0:
        return 0.5
    return 1.0 if waiting_s < 30.0 else 2.0


PRESS_EVERY = (10.0, 20.0)  # seconds between a trainee's Check presses
RESULT_TIMEOUT = 120.0  # a press without a result by then counts as this long
START_TIMEOUT = 240.0


@dataclass(frozen=True)
class Content:
    """What there is to visit: lessons, days, day quizzes, and the lab the cohort works on."""

    lessons: list[str]
    days: list[str]
    quizzes: list[str]
    lab: str
    check_task: str
    continuous: bool


@dataclass
class Session:
    """A lab session the bench opened: where its pages are and its terminal socket."""

    id: int
    socket_path: str | None = None
    socket_origin: str | None = None

    @property
    def status_path(self) -> str:
        """Return the path the lab page polls."""
        return f"/labs/sessions/{self.id}/status"

    @property
    def workspace_path(self) -> str:
        """Return the lab page's path."""
        return f"/labs/sessions/{self.id}/work"


@dataclass
class StartOutcome:
    """How one Start press went."""

    session: Session | None = None
    seconds: float | None = None
    error: str | None = None


@dataclass
class Reader:
    """A trainee reading lessons, saving quiz answers and looking at their plan."""

    browser: Browser
    content: Content
    rng: random.Random
    think: float
    save_path: str | None = None
    paper: dict[str, Field] = field(default_factory=dict)

    def prepare_quiz(self) -> None:
        """Start (or resume) an attempt at one day's quiz and read its paper."""
        if not self.content.quizzes:
            return
        quiz = self.rng.choice(self.content.quizzes)
        started = self.browser.post_form(f"/quizzes/{quiz}/start", "quiz start")
        if started.status != 302 or "/quizzes/attempts/" not in started.location:
            self.browser.recorder.problem(f"quiz start: no attempt (status {started.status})")
            return
        page = self.browser.get(started.location, "quiz attempt page")
        facts = read_page(page.text) if page.status == 200 else None
        if facts and facts.save_url and facts.paper:
            self.save_path, self.paper = facts.save_url, facts.paper

    def run(self, stop: threading.Event) -> None:
        """Act until stop is set, waiting a think time between actions."""
        stop.wait(self.rng.uniform(0, self.think))
        while not stop.is_set():
            roll = self.rng.random()
            if roll < 0.6:
                self.read_lesson()
            elif roll < 0.9 and self.save_path:
                self.save_answers()
            else:
                self.look_around()
            stop.wait(self.rng.uniform(0.4 * self.think, 1.6 * self.think))

    def read_lesson(self) -> None:
        """Open a lesson; sometimes the page reports reading time."""
        lesson = self.rng.choice(self.content.lessons)
        self.browser.get(f"/lessons/{lesson}", LESSON)
        if self.rng.random() < 0.25:
            self.browser.post_json(
                f"/lessons/{lesson}/time", "lesson reading time", {"seconds": 30}
            )

    def save_answers(self) -> None:
        """Save answers as the quiz page does while the trainee works."""
        assert self.save_path is not None
        reply = self.browser.post_form(self.save_path, "quiz save", answers(self.paper, self.rng))
        data = reply.json() if reply.status in (200, 409) else None
        if reply.status == 409 or (isinstance(data, dict) and data.get("review")):
            self.save_path = None  # closed (time ran out): take a fresh attempt
            self.prepare_quiz()

    def look_around(self) -> None:
        """Open the plan or a day page."""
        if self.rng.random() < 0.5:
            self.browser.get("/plan", "plan page")
        else:
            self.browser.get(f"/days/{self.rng.choice(self.content.days)}", "day page")


def start_lab(browser: Browser, content: Content, stop: threading.Event) -> StartOutcome:
    """Press Start on the lab and follow the page until the session is active (or fails)."""
    started = time.perf_counter()
    reply = browser.post_form(f"/labs/{content.lab}/start", "lab start")
    if reply.status != 302 or "/labs/sessions/" not in reply.location:
        return StartOutcome(error=f"Start refused (status {reply.status})")
    session = Session(int(reply.location.rstrip("/").split("/")[-2]))
    browser.get(session.workspace_path, "lab page")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        status = browser.get(session.status_path, "lab status (starting)").json()
        if isinstance(status, dict) and status.get("status") == "active":
            seconds = time.perf_counter() - started
            page = browser.get(session.workspace_path, "lab page")
            facts = read_page(page.text)
            session.socket_path, session.socket_origin = facts.socket_path, facts.socket_origin
            return StartOutcome(session, seconds)
        if isinstance(status, dict) and status.get("open") is False:
            reason = status.get("error") or status.get("status")
            return StartOutcome(session, error=f"the session ended while starting: {reason}")
        time.sleep(start_poll(time.perf_counter() - started))
    return StartOutcome(session, error=f"not active within {START_TIMEOUT:.0f} s")


def timed_start(
    browser: Browser, content: Content, stop: threading.Event, go: threading.Event
) -> StartOutcome:
    """Wait for the signal, press Start, and record the time to an active session."""
    go.wait()
    outcome = start_lab(browser, content, stop)
    if outcome.seconds is not None:
        browser.recorder.measure(START, outcome.seconds)
    if outcome.error:
        browser.recorder.problem(f"lab start: {outcome.error}")
    return outcome


@dataclass
class LabPage:
    """An open lab page with its terminal panel, and a trainee pressing Check."""

    browser: Browser
    content: Content
    session: Session
    sandbox_status: str | None
    rng: random.Random

    def run(self, stop: threading.Event) -> None:
        """Poll, check continuously and press Check until stop is set."""
        now = time.monotonic()
        next_press = now + self.rng.uniform(1.0, PRESS_EVERY[0])
        last_auto = now - self.rng.uniform(0, AUTO_EVERY)
        last_sandbox = now - self.rng.uniform(0, SANDBOX_EVERY)
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_press:
                self.press(stop)
                next_press = time.monotonic() + self.rng.uniform(*PRESS_EVERY)
            elif self.content.continuous and now - last_auto >= AUTO_EVERY:
                last_auto = now
                self.check({"auto": True}, "lab continuous check")
            else:
                self.browser.get(self.session.status_path, "lab status")
            if self.sandbox_status and now - last_sandbox >= SANDBOX_EVERY:
                last_sandbox = now
                self.browser.get(self.sandbox_status, "sandbox status")
            stop.wait(STATUS_EVERY)

    def check(self, body: dict[str, object], endpoint: str) -> Reply:
        """Post to the session's check endpoint."""
        reply = self.browser.post_json(f"/labs/sessions/{self.session.id}/check", endpoint, body)
        if reply.status == 429:
            self.browser.recorder.count("checks_rate_limited")
        return reply

    def press(self, stop: threading.Event) -> None:
        """Press Check on the task and poll as the page does until the result is shown."""
        recorder = self.browser.recorder
        started = time.perf_counter()
        reply = self.check({"task": self.content.check_task}, "check press")
        data = reply.json()
        run = data.get("run") if isinstance(data, dict) else None
        if not isinstance(run, int):
            recorder.count("check_presses_without_run")
            return
        deadline = time.monotonic() + RESULT_TIMEOUT
        while time.monotonic() < deadline:
            if stop.is_set():
                # Still pending when the window closed: counted at the time waited so far.
                waited = (time.perf_counter() - started) * 1000
                recorder.measure(CHECK_PRESS, waited, always=True)
                recorder.count("check_presses_pending_at_end")
                return
            time.sleep(pending_poll(time.perf_counter() - started))
            # As the page does: the server holds this poll until a run ends (status.py).
            status = self.browser.get(
                f"{self.session.status_path}?wait=1", "lab status (waits for a run)"
            ).json()
            if not isinstance(status, dict):
                continue
            last = status.get("last_run") or {}
            pending = status.get("pending_runs") or []
            if run not in pending and int(last.get("id") or 0) >= run:
                recorder.measure(CHECK_PRESS, (time.perf_counter() - started) * 1000)
                if last.get("id") == run and last.get("outcome") == "error":
                    # A check that could not run answers fast and proves nothing: counted apart.
                    recorder.count("check_errors")
                    recorder.problem("check press: the run ended in an error")
                return
        # Counted at the time waited, so that slow results raise the percentiles, not hide.
        recorder.measure(CHECK_PRESS, (time.perf_counter() - started) * 1000)
        recorder.count("check_timeouts")
        recorder.problem(f"check press: no result within {RESULT_TIMEOUT:.0f} s")
