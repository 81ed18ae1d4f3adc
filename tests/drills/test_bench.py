"""`academy bench drills` builds its own holders in a scratch database and prints its figures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from app.drills.bench import bench_drills
from app.drills.cli import bench


def test_the_benchmark_computes_every_holder(tmp_path):
    result = bench_drills(operators=12, runs=3, pages=1)
    assert result.operators == 12
    assert result.database == "sqlite"
    assert 0 < result.p50_ms <= result.p95_ms
    assert result.evidence_rows > 0
    assert 0 < result.queries <= 6  # a fixed number, whatever the number of holders
    assert result.page_p50_ms > 0


def test_the_command_prints_one_json_object(pg_server):
    url = pg_server.create_database("academy_bench_drills")
    output = CliRunner().invoke(
        bench,
        [
            "drills",
            "--operators",
            "15",
            "--runs",
            "2",
            "--pages",
            "1",
            "--json",
            "--database-url",
            url,
        ],
    )
    assert output.exit_code == 0, output.output
    figures = json.loads(output.output.strip().splitlines()[-1])
    assert {"operators", "p50_ms", "p95_ms"} <= set(figures)
    assert figures["operators"] == 15
    assert figures["database"] == "postgresql"
    again = CliRunner().invoke(bench, ["drills", "--operators", "5", "--database-url", url])
    assert again.exit_code == 1
    assert "not empty" in again.output
