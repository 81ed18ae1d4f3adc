"""`academy bench matrix` builds its own data in a scratch database and prints its figures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from app.coordination.bench import bench_matrix
from app.coordination.cli import bench


def test_the_benchmark_renders_the_matrix_and_reports_percentiles():
    result = bench_matrix(trainees=6, runs=3)
    assert result.trainees == 6
    assert result.runs == 3
    assert result.database == "sqlite"
    assert 0 < result.p50_ms <= result.p95_ms
    assert result.queries > 0


def test_the_command_prints_json(pg_server):
    url = pg_server.create_database("academy_bench_scratch")
    output = CliRunner().invoke(
        bench, ["matrix", "--trainees", "5", "--runs", "2", "--json", "--database-url", url]
    )
    assert output.exit_code == 0, output.output
    figures = json.loads(output.output.strip().splitlines()[-1])
    assert {"p50_ms", "p95_ms"} <= set(figures)
    assert figures["trainees"] == 5
    assert figures["database"] == "postgresql"
    again = CliRunner().invoke(
        bench, ["matrix", "--trainees", "5", "--runs", "2", "--database-url", url]
    )
    assert again.exit_code == 1
    assert "not empty" in again.output
