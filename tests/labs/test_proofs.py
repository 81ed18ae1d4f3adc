"""The proof behind `academy labs test`: a check that passes before the solution is caught.

`make test` runs `academy labs test` for every real lab (twice each, in fresh sandboxes) before
pytest; these tests hold the proving code itself to its contract.
"""

from __future__ import annotations

import pytest

from app.labs.proving import prove

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_check_that_passes_before_the_solution_is_caught(docker_app, lab_runtime, probe):
    proof = prove(docker_app, probe, 1)
    assert proof.problems == [
        "check health (task answer-port) passes before the solution: it proves nothing"
    ]
    assert proof.checks == 6
    assert proof.setup_seconds > 0
    assert proof.solve_seconds > 0


def test_the_command_exits_1_and_names_the_problem(
    docker_app, lab_runtime, probe_catalog, monkeypatch
):
    from app.labs.cli import labs

    monkeypatch.setitem(docker_app.extensions, "academy.catalog", probe_catalog)
    result = docker_app.test_cli_runner().invoke(labs, ["test", "probe", "--runs", "1"])
    assert result.exit_code == 1
    assert "probe                run 1" in result.output
    assert "check health (task answer-port) passes before the solution" in result.output
    assert "forgery raise-flag (shallow: " in result.output
    assert "passed task raise-flag" in result.output
    assert "forgery guess-port (run 1)" in result.output
    assert "has 2 forgeries; at least 5 are needed" in result.output
    assert "2 of 3 proof run(s) failed" in result.output
    assert "2 problem(s) with the labs' forgeries" in result.output


def test_a_forgery_that_passes_its_task_fails_the_lab(docker_app, lab_runtime, probe):
    from app.labs.proving import prove_forgery

    forgery = next(f for f in probe.forgeries if f.name == "raise-flag")
    proof = prove_forgery(docker_app, probe, forgery, 1)
    assert len(proof.problems) == 1
    assert "forgery raise-flag (shallow" in proof.problems[0]
    assert proof.problems[0].endswith("passed task raise-flag")


def test_guessing_past_the_tries_allowed_is_refused(docker_app, lab_runtime, probe):
    from app.labs.proving import prove_forgery

    forgery = next(f for f in probe.forgeries if f.name == "guess-port")
    assert len(forgery.targets) == 1
    proof = prove_forgery(docker_app, probe, forgery, 1)
    assert proof.problems == []
    assert proof.checks == 3  # the targeted task's checks all ran


def test_forgery_coverage_names_the_missing_classes(probe):
    from app.labs.proving import forgery_coverage

    assert forgery_coverage(probe) == [
        "has 2 forgeries; at least 5 are needed",
        "has no forgery of class observer, secrets, teaches",
    ]


def test_a_drawn_value_shown_is_a_leak_unless_the_check_wrote_that_number_itself(probe):
    from dataclasses import replace

    from app.labs.checks import CheckResult
    from app.labs.proving import Proof, _no_leaks

    check = next(c for c in probe.checks if c.id == "port-answer")
    values = {"marker": "k3x9q2ab", "port": 5127, "flavour": "salt"}

    def problems(lab, message: str) -> list[str]:
        proof = Proof(lab=lab.id, run=1, seed=1)
        result = CheckResult(check.id, check.task_id, "failed", message=message)
        _no_leaks(lab, [result], values, proof)
        return proof.problems

    # The drawn port in a failure message gives the answer away.
    assert problems(probe, "Nothing listens on 5127 yet.")
    # A number the question itself was written with is no leak, even when the draw equals it.
    written = replace(check, question="Which port, above 5127, is in /var/tmp/probe-port?")
    lab = _with_check(probe, written)
    assert problems(lab, "Type your answer to: " + written.question) == []
    assert problems(lab, "Nothing listens on 5127 yet.") == []  # written there, so not secret


def _with_check(lab, check):
    from dataclasses import replace

    tasks = tuple(
        replace(t, checks=tuple(check if c.id == check.id else c for c in t.checks))
        for t in lab.tasks
    )
    return replace(lab, tasks=tasks)
