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
