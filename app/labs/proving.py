"""Prove a lab in a fresh sandbox: setup, every check fails, solve, every check passes.

This drives the sandbox runtime directly (no web, no database rows), so authors and CI can run
it anywhere the Docker engine and the lab images are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.content.labs import Lab, Step
from app.labs.checks import CheckResult, CheckRunner, Executor, Output
from app.labs.jobs import run_step, step_failure
from app.labs.services import host_specs
from app.labs.values import draw_values, new_seed

READY_TIMEOUT = 120.0
# The reference solution supplies answers for answer checks as `ANSWER: <check-id> <value>`.
ANSWER_LINE = re.compile(r"^ANSWER:\s*([a-z0-9][a-z0-9-]*)\s+(.*?)\s*$", re.MULTILINE)


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

    @property
    def ok(self) -> bool:
        """Tell whether the lab behaved as its author promised."""
        return not self.problems

    def line(self) -> str:
        """Return the one-line report printed per run."""
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s)"
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
) -> str:
    """Run steps in order; record a problem and stop at the first failure; return their stdout."""
    output = []
    for step in steps:
        result: Output = run_step(execute, step, values, session)
        output.append(str(result.stdout or ""))
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


def prove(app: Flask, lab: Lab, run: int, say: Callable[[str], None] | None = None) -> Proof:
    """Run one proof of a lab in a sandbox of its own, destroyed afterwards."""
    from app.sandboxes.models import new_sandbox_id
    from app.sandboxes.runtime import Limits, SandboxUnavailable, get_runtime

    settings = app.config["ACADEMY"]
    seed = new_seed()
    proof = Proof(lab=lab.id, run=run, seed=seed)
    values = draw_values(lab.values, seed)
    session = f"proof-{seed % 100000}"
    try:
        runtime = get_runtime(app, images=[h.image for h in lab.hosts])
    except SandboxUnavailable as error:
        proof.problems.append(error.reason)
        return proof
    sandbox_id = new_sandbox_id()

    def execute(host: str, command: list[str], **options: Any) -> Output:
        return runtime.exec(sandbox_id, host, command, **options)

    note = say or (lambda _: None)
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
            return proof
        proof.start_seconds = time.perf_counter() - clock
        note(f"{lab.id} run {run}: sandbox ready, values {values}")
        clock = time.perf_counter()
        _steps(execute, lab.setup, values, session, "setup", proof)
        proof.setup_seconds = time.perf_counter() - clock
        if proof.problems:
            return proof
        runner = CheckRunner(execute, values, session)
        clock = time.perf_counter()
        before = [runner.run(check) for check in lab.checks]
        proof.check_before_seconds = time.perf_counter() - clock
        proof.checks = len(before)
        _judge(before, "failed", proof)
        clock = time.perf_counter()
        solved = _steps(execute, lab.solve, values, session, "solve", proof)
        proof.solve_seconds = time.perf_counter() - clock
        answers = dict(ANSWER_LINE.findall(solved))
        clock = time.perf_counter()
        after = [runner.run(check, answers.get(check.id)) for check in lab.checks]
        proof.check_after_seconds = time.perf_counter() - clock
        _judge(after, "passed", proof)
        for task in lab.tasks:
            _steps(execute, task.reset, values, session, f"reset of task {task.id}", proof)
        _steps(execute, lab.cleanup, values, session, "cleanup", proof)
        return proof
    except Exception as error:  # the report must name what broke, not stop the other labs
        proof.problems.append(f"{type(error).__name__}: {error}")
        return proof
    finally:
        runtime.destroy(sandbox_id)
