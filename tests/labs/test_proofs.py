"""`academy labs test` for every lab, as CI runs it.

In fresh sandboxes: setup, every check fails, the reference solution, every check passes; twice,
at the same time, to catch flaky checks.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from app.labs.proving import prove
from tests.labs.conftest import real_lab, real_lab_slugs

RUNS = 2

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.parametrize("slug", real_lab_slugs())
def test_lab_proves(docker_app, lab_runtime, slug):
    lab = real_lab(slug)
    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        proofs = list(pool.map(lambda run: prove(docker_app, lab, run), range(1, RUNS + 1)))
    for proof in proofs:
        print(proof.line())  # the per-lab figures, shown with pytest -s or on failure
    problems = [f"run {p.run} (seed {p.seed}): {problem}" for p in proofs for problem in p.problems]
    assert problems == []


def test_a_check_that_passes_before_the_solution_is_caught(docker_app, lab_runtime, probe):
    proof = prove(docker_app, probe, 1)
    assert proof.problems == [
        "check health (task answer-port) passes before the solution: it proves nothing"
    ]
    assert proof.checks == 5
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
    assert "1 of 1 proof run(s) failed" in result.output
