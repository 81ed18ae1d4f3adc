"""Prove a lab in a fresh sandbox: setup, every check fails, solve, every check passes.

This drives the sandbox runtime directly (no web, no database rows), so authors and CI can run
it anywhere the Docker engine and the lab images are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from app.clock import utcnow
from app.content.labs import FORGERY_CLASSES, Check, Forgery, Lab, Step
from app.labs.checks import CheckResult, CheckRunner, Executor, Output, ProbeExecutor
from app.labs.jobs import run_step, step_failure
from app.labs.services import host_specs
from app.labs.values import draw_values, fill, new_seed
from app.labs.verdicts import Timeline, UpdateEntry

READY_TIMEOUT = 120.0
MIN_FORGERIES = 5
# Forgeries run as the trainee does: the operations account, with its passwordless sudo.
TRAINEE = "impactlink"
# The reference solution supplies answers for answer checks as `ANSWER: <check-id> <value>`.
ANSWER_LINE = re.compile(r"^ANSWER:\s*([a-z0-9][a-z0-9-]*)\s+(.*?)\s*$", re.MULTILINE)
# Status updates, as the trainee posts them on the platform: `UPDATE: <status> <text>`, stamped
# when the step (or forgery phase) that printed it ends; `WAIT: <minutes>` lets that much time
# pass on the proof's clock first (a late or silent trainee without minutes of real waiting).
UPDATE_LINE = re.compile(
    r"^UPDATE:\s*(investigating|identified|monitoring|resolved)\s+(.*?)\s*$", re.MULTILINE
)
WAIT_LINE = re.compile(r"^WAIT:\s*(\d+(?:\.\d+)?)\s*$")


@dataclass
class ProofClock:
    """The proof's stand-in for the platform's records of a session: when the lab was ready,
    the status updates posted (stamped by this clock, never by the script), the tasks passed."""

    ready_at: datetime = field(default_factory=utcnow)
    skipped: timedelta = field(default_factory=timedelta)
    updates: list[UpdateEntry] = field(default_factory=list)
    passed: set[str] = field(default_factory=set)

    def now(self) -> datetime:
        """Return the proof's time: the real time plus any time WAIT lines let pass."""
        return utcnow() + self.skipped

    def take(self, output: str) -> None:
        """Post the UPDATE lines of a step's output, in order, honouring WAIT lines."""
        for line in output.splitlines():
            wait = WAIT_LINE.match(line.strip())
            if wait:
                self.skipped += timedelta(minutes=float(wait.group(1)))
                continue
            update = UPDATE_LINE.match(line.strip())
            if update:
                self.updates.append(UpdateEntry(self.now(), update.group(1), update.group(2)))

    def timeline(self) -> Timeline:
        """Return what an `updates` check judges, as of now."""
        return Timeline(self.ready_at, self.now(), tuple(self.updates), frozenset(self.passed))


@dataclass
class Proof:
    """What one proving run of a lab measured and found."""

    lab: str
    run: int
    seed: int = 0
    start_seconds: float = 0.0
    setup_seconds: float = 0.0
    check_before_seconds: float = 0.0
    solve_seconds: float = 0.0
    check_after_seconds: float = 0.0
    checks: int = 0
    problems: list[str] = field(default_factory=list)
    forgery: str = ""
    tampered: int = 0

    @property
    def label(self) -> str:
        """Return which proof this is: the run, or the forgery it replayed."""
        return f"forgery {self.forgery}" if self.forgery else f"run {self.run}"

    @property
    def ok(self) -> bool:
        """Tell whether the lab behaved as its author promised."""
        return not self.problems

    def line(self) -> str:
        """Return the one-line report printed per run."""
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        if self.forgery:
            caught = f", tampering flagged by {self.tampered}" if self.tampered else ""
            return (
                f"{self.lab:<20} forgery {self.forgery} (run {self.run})  "
                f"setup {self.setup_seconds:5.1f}s  forgery {self.solve_seconds:5.1f}s  "
                f"check {self.check_after_seconds:4.1f}s  refused{caught}  {verdict}"
                if self.ok
                else f"{self.lab:<20} forgery {self.forgery} (run {self.run})  {verdict}"
            )
        return (
            f"{self.lab:<20} run {self.run}  start {self.start_seconds:5.1f}s  "
            f"setup {self.setup_seconds:5.1f}s  "
            f"check {self.check_before_seconds:4.1f}s  solve {self.solve_seconds:5.1f}s  "
            f"check {self.check_after_seconds:4.1f}s  ({self.checks} checks)  {verdict}"
        )


def _steps(
    execute: Executor,
    steps: tuple[Step, ...],
    values: dict[str, Any],
    session: str,
    what: str,
    proof: Proof,
    clock: ProofClock | None = None,
) -> str:
    """Run steps in order; record a problem and stop at the first failure; return their stdout."""
    output = []
    for step in steps:
        result: Output = run_step(execute, step, values, session)
        output.append(str(result.stdout or ""))
        if clock is not None:
            clock.take(output[-1])
        if result.exit_code != 0 or result.timed_out:
            proof.problems.append(f"{what} failed: {step_failure(step, result)}")
            break
    return "\n".join(output)


def _judge(results: list[CheckResult], expected: str, proof: Proof) -> None:
    for result in results:
        if result.outcome == expected:
            continue
        where = f"check {result.check_id} (task {result.task_id})"
        if result.outcome == "error":
            when = "before" if expected == "failed" else "after"
            proof.problems.append(f"{where} is broken (error) {when} the solution: {result.detail}")
        elif expected == "failed":
            proof.problems.append(f"{where} passes before the solution: it proves nothing")
        else:
            proof.problems.append(
                f"{where} fails after the solution: {result.message} {result.detail}".strip()
            )


def _round(
    lab: Lab,
    runner: CheckRunner,
    checks: list[Check],
    clock: ProofClock,
    judge: Callable[[Check], CheckResult],
) -> list[CheckResult]:
    """Run checks as the platform sees them: `updates` checks last, once the tasks they wait
    for (`after`) are known to pass or not (those tasks' checks run too, when not among checks)."""
    results = {c.id: judge(c) for c in checks if c.kind != "updates"}
    waiting = [c for c in checks if c.kind == "updates"]
    if waiting:
        needed = {task for c in waiting for task in c.after}
        extra = [
            c
            for c in lab.checks
            if c.task_id in needed and c.id not in results and c.kind != "updates"
        ]
        seen = {**results, **{c.id: runner.run(c) for c in extra}}
        for task in lab.tasks:
            if task.id in needed and all(
                c.id in seen and seen[c.id].passed for c in task.checks if c.kind != "updates"
            ):
                clock.passed.add(task.id)
        results.update({c.id: judge(c) for c in waiting})
    return [results[c.id] for c in checks]


@dataclass
class _Sandbox:
    """A proof's own sandbox: the lab set up in fresh hosts, with executors bound to them."""

    execute: Executor
    probe: ProbeExecutor
    values: dict[str, Any]
    session: str
    clock: ProofClock = field(default_factory=ProofClock)


def _with_sandbox(
    app: Flask,
    lab: Lab,
    proof: Proof,
    body: Callable[[_Sandbox], None],
    note: Callable[[str], None],
) -> None:
    """Start a fresh sandbox, run the lab's setup, hand it to body, and always destroy it."""
    from app.sandboxes.models import new_sandbox_id
    from app.sandboxes.runtime import Limits, SandboxUnavailable, get_runtime

    settings = app.config["ACADEMY"]
    values = draw_values(lab.values, proof.seed)
    session = f"proof-{proof.seed % 100000}"
    try:
        runtime = get_runtime(app, images=[h.image for h in lab.hosts])
    except SandboxUnavailable as error:
        proof.problems.append(error.reason)
        return
    sandbox_id = new_sandbox_id()

    def execute(host: str, command: list[str], **options: Any) -> Output:
        return runtime.exec(sandbox_id, host, command, **options)

    def probe(host: str, script: str, **options: Any) -> Output:
        return runtime.probe(sandbox_id, host, script, **options)

    clock = time.perf_counter()
    try:
        runtime.create(
            sandbox_id,
            host_specs(lab),
            Limits.from_settings(settings),
            settings.sandbox_allow_outbound,
        )
        if not runtime.wait_ready(sandbox_id, READY_TIMEOUT):
            proof.problems.append(f"the sandbox was not ready within {READY_TIMEOUT:.0f} s")
            return
        proof.start_seconds = time.perf_counter() - clock
        note(f"{lab.id} {proof.label}: sandbox ready, values {values}")
        clock = time.perf_counter()
        _steps(execute, lab.setup, values, session, "setup", proof)
        proof.setup_seconds = time.perf_counter() - clock
        if not proof.problems:
            body(_Sandbox(execute, probe, values, session, ProofClock(ready_at=utcnow())))
    except Exception as error:  # the report must name what broke, not stop the other labs
        proof.problems.append(f"{type(error).__name__}: {error}")
    finally:
        runtime.destroy(sandbox_id)


def prove(app: Flask, lab: Lab, run: int, say: Callable[[str], None] | None = None) -> Proof:
    """Prove a lab in a sandbox of its own: checks fail before the solution and pass after it."""
    proof = Proof(lab=lab.id, run=run, seed=new_seed())

    def body(box: _Sandbox) -> None:
        runner = CheckRunner(box.execute, box.values, box.session, box.probe, box.clock.timeline)
        clock = time.perf_counter()
        before = _round(lab, runner, list(lab.checks), box.clock, runner.run)
        proof.check_before_seconds = time.perf_counter() - clock
        proof.checks = len(before)
        _judge(before, "failed", proof)
        _no_leaks(lab, before, box.values, proof)
        clock = time.perf_counter()
        solved = _steps(box.execute, lab.solve, box.values, box.session, "solve", proof, box.clock)
        proof.solve_seconds = time.perf_counter() - clock
        answers = dict(ANSWER_LINE.findall(solved))
        clock = time.perf_counter()
        after = _round(
            lab, runner, list(lab.checks), box.clock, lambda c: runner.run(c, answers.get(c.id))
        )
        proof.check_after_seconds = time.perf_counter() - clock
        _judge(after, "passed", proof)
        for task in lab.tasks:
            _steps(box.execute, task.reset, box.values, box.session, f"reset of {task.id}", proof)
        _steps(box.execute, lab.cleanup, box.values, box.session, "cleanup", proof)

    _with_sandbox(app, lab, proof, body, say or (lambda _: None))
    return proof


def prove_forgery(
    app: Flask, lab: Lab, forgery: Forgery, run: int, say: Callable[[str], None] | None = None
) -> Proof:
    """Replay a known shortcut in a fresh sandbox; it fails the lab if a task it targets passes."""
    proof = Proof(lab=lab.id, run=run, seed=new_seed(), forgery=forgery.name)
    step = Step(
        host=forgery.host or lab.hosts[0].name, script=forgery.script, user=TRAINEE, timeout=180
    )

    def phase(box: _Sandbox, name: str) -> str:
        result = run_step(box.execute, step, box.values, "", argument=name)
        if result.timed_out:
            proof.problems.append(f"forgery {forgery.name} ran out of time in its {name} phase")
        box.clock.take(str(result.stdout or ""))
        return str(result.stdout or "")

    def body(box: _Sandbox) -> None:
        runner = CheckRunner(box.execute, box.values, box.session, box.probe, box.clock.timeline)
        clock = time.perf_counter()
        said = phase(box, "before")
        proof.solve_seconds = time.perf_counter() - clock
        targeted = [c for c in lab.checks if c.task_id in forgery.targets]
        early = _round(lab, runner, targeted, box.clock, runner.run)
        _no_leaks(lab, early, box.values, proof)
        said += "\n" + phase(box, "after")
        tries: dict[str, list[str]] = {}
        for check_id, value in ANSWER_LINE.findall(said):
            tries.setdefault(check_id, []).append(value)
        clock = time.perf_counter()
        results = _round(
            lab, runner, targeted, box.clock, lambda c: _best_of(runner, c, tries.get(c.id, []))
        )
        proof.check_after_seconds = time.perf_counter() - clock
        proof.checks = len(results)
        for task_id in forgery.targets:
            mine = [r for r in results if r.task_id == task_id]
            if mine and all(r.passed for r in mine):
                proof.problems.append(
                    f"forgery {forgery.name} ({forgery.kind}: {forgery.description}) "
                    f"passed task {task_id}"
                )
        proof.tampered = sum(1 for r in results if r.tamper)

    _with_sandbox(app, lab, proof, body, say or (lambda _: None))
    return proof


def _best_of(runner: CheckRunner, check: Check, answers: list[str]) -> CheckResult:
    """Run a check; an answer check gets each typed answer in turn, up to its tries."""
    if check.kind != "answer" or not answers:
        return runner.run(check)
    result = runner.run(check, answers[0])
    for answer in answers[1 : check.max_tries]:
        if result.passed:
            break
        result = runner.run(check, answer)
    return result


def _no_leaks(lab: Lab, results: list[CheckResult], values: dict[str, Any], proof: Proof) -> None:
    """Record a problem where what the trainee reads shows a drawn value or an expected answer."""
    # Values the lab shows the trainee anyway (in its intro, instructions or questions) are not
    # secrets; every other drawn token or number is.
    shown_text = " ".join(
        [
            lab.intro_html,
            *(t.instructions_html for t in lab.tasks),
            *(c.question for c in lab.checks),
        ]
    )
    secrets = {
        str(values[spec.name])
        for spec in lab.values
        if spec.kind in ("token", "int")
        and len(str(values.get(spec.name, ""))) >= 3
        and "{" + spec.name + "}" not in shown_text
    }
    for check in lab.checks:
        if check.expect_value:
            secrets.add(fill(check.expect_value, values, "", check.host))
    # What a check says as written (before any value is filled in): a drawn number that happens
    # to equal a number written there (127 of "127.0.0.1") is no leak.
    authored = {
        check.id: "\n".join(
            [
                check.message,
                check.question,
                *(rule.message for rule in (*check.rules, *check.resolved_rules)),
            ]
        )
        for check in lab.checks
    }
    task_hints = {task.id: "\n".join(task.hints) for task in lab.tasks}
    for result in results:
        shown = "\n".join([result.message, *result.hints])
        written = authored.get(result.check_id, "") + "\n" + task_hints.get(result.task_id, "")
        for secret in secrets:
            pattern = rf"(?<![\w.]){re.escape(secret)}(?![\w])"
            if secret and re.search(pattern, shown) and not re.search(pattern, written):
                proof.problems.append(
                    f"check {result.check_id} shows the trainee a drawn value or answer: {shown!r}"
                )
                break


def forgery_coverage(lab: Lab) -> list[str]:
    """Return what a lab's forgeries lack: at least five, covering every class."""
    problems = []
    if len(lab.forgeries) < MIN_FORGERIES:
        problems.append(f"has {len(lab.forgeries)} forgeries; at least {MIN_FORGERIES} are needed")
    missing = [k for k in FORGERY_CLASSES if k not in {f.kind for f in lab.forgeries}]
    if missing:
        problems.append(f"has no forgery of class {', '.join(missing)}")
    return problems
