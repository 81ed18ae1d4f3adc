"""Small parts that need no engine: exec framing, recordings, the supervisor loop, figures."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest

from app.extensions import db
from app.sandboxes import recordings, supervisor
from app.sandboxes.bench import Figures, Fill
from app.sandboxes.streams import read_frames
from app.sandboxes.terminal import terminal_size


def _frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + struct.pack(">I", len(data)) + data


def test_exec_frames_are_split_into_stdout_and_stderr_across_reads():
    ours, theirs = socket.socketpair()
    payload = _frame(1, b"hello ") + _frame(2, b"oops\n") + _frame(1, b"world\n")

    def send() -> None:
        for i in range(0, len(payload), 5):  # frames cut at awkward places
            theirs.sendall(payload[i : i + 5])
            time.sleep(0.001)
        theirs.close()

    threading.Thread(target=send).start()
    out, err, timed_out = read_frames(ours, time.monotonic() + 5)
    assert (out, err, timed_out) == (b"hello world\n", b"oops\n", False)
    ours.close()


def test_exec_reading_stops_at_the_deadline():
    ours, theirs = socket.socketpair()
    theirs.sendall(_frame(1, b"partial"))
    out, _, timed_out = read_frames(ours, time.monotonic() + 0.2)
    assert (out, timed_out) == (b"partial", True)
    ours.close()
    theirs.close()


def test_recordings_are_asciicast_v2_with_split_characters_joined(tmp_path):
    path = tmp_path / "r.cast"
    writer = recordings.CastWriter(path, 100, 30, "prod")
    snowman = "☃".encode()
    writer.output(b"caf" + snowman[:1])
    writer.output(snowman[1:] + b" ok\r\n")
    writer.resize(120, 40)
    size = writer.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert (header["version"], header["width"], header["height"]) == (2, 100, 30)
    events = [json.loads(line) for line in lines[1:]]
    assert "".join(e[2] for e in events if e[1] == "o") == "caf☃ ok\r\n"
    assert events[-1][1:] == ["r", "120x40"]
    assert size == path.stat().st_size


def test_a_runaway_recording_stops_at_its_size_limit(tmp_path):
    path = tmp_path / "big.cast"
    writer = recordings.CastWriter(path, 80, 24, "prod", max_bytes=2000)
    for _ in range(200):
        writer.output(b"y\r\n" * 10)
    writer.close()
    assert path.stat().st_size < 3000
    assert "size limit" in path.read_text(encoding="utf-8")
    # A reconnect appends, and the limit counts every connection's bytes together.
    again = recordings.CastWriter(path, 100, 30, "prod", max_bytes=2000)
    again.output(b"more output\r\n")
    again.close()
    text = path.read_text(encoding="utf-8")
    assert "more output" not in text
    assert sum(1 for line in text.splitlines() if line.startswith("{")) == 1


def test_following_a_recording_yields_events_until_it_is_finished(tmp_path):
    path = tmp_path / "live.cast"
    writer = recordings.CastWriter(path, 80, 24, "prod")
    done = threading.Event()

    def write_later() -> None:
        time.sleep(0.2)
        writer.output(b"later\r\n")
        writer.close()
        done.set()

    threading.Thread(target=write_later).start()
    events = [e for e in recordings.follow(path, done.is_set, poll=0.02) if e is not None]
    assert events[0]["version"] == 2
    assert events[-1][1:] == ["o", "later\r\n"]


def test_terminal_sizes_from_the_browser_are_clamped():
    assert terminal_size("120", "40") == (120, 40)
    assert terminal_size(None, "x") == (80, 24)
    assert terminal_size(99999, -5) == (500, 4)
    assert terminal_size(True, 30) == (80, 30)


COUNTS = {"ran": 0}


def exploding_task(app) -> None:
    raise RuntimeError("a task failed")


def counting_task(app) -> None:
    COUNTS["ran"] += 1


def test_a_failing_task_does_not_stop_the_others(app, monkeypatch, caplog):
    monkeypatch.setattr(
        supervisor,
        "TASKS",
        [f"{__name__}:exploding_task", f"{__name__}:counting_task"],
    )
    loop = supervisor.Supervisor(app)
    before = COUNTS["ran"]
    loop.run_once()
    loop.run_once()
    assert COUNTS["ran"] == before + 2
    assert "exploding_task failed" in caplog.text
    loop.stop()


def test_jobs_run_once_per_argument_in_their_own_app_context(app):
    loop = supervisor.Supervisor(app, workers=2)
    release = threading.Event()
    seen: list[str] = []

    def job(name: str) -> None:
        release.wait(5)
        seen.append(f"{name}:{db.engine.dialect.name}")

    assert loop.submit(job, "a")
    assert not loop.submit(job, "a")  # already queued: not twice
    assert loop.submit(job, "b")
    assert loop.in_flight("a")
    release.set()
    assert loop.drain(10)
    assert sorted(seen) == ["a:postgresql", "b:postgresql"]
    assert not loop.in_flight("a")
    loop.stop()


def test_the_web_process_runs_the_supervisor_only_when_settings_say_so(app):
    assert app.config["ACADEMY"].supervisor_in_web is False
    assert supervisor.start_in_background(app) is None
    assert supervisor.supervisor_of(app) is None


@pytest.mark.parametrize(
    ("values", "p50", "p95"),
    [([1.0], 1.0, 1.0), ([0.1 * n for n in range(1, 11)], 0.55, 0.955)],
)
def test_benchmark_percentiles_and_json_keys(values, p50, p95):
    figures = Figures(
        warm=values, cold=values, idle_mem_mb=80.0, capacity_by={"memory": 270, "cpu": 400}
    )
    published = figures.as_json()
    assert list(published) == [
        "warm_p50_s",
        "warm_p95_s",
        "cold_p50_s",
        "cold_p95_s",
        "idle_mem_mb",
        "capacity",
    ]
    assert published["warm_p50_s"] == pytest.approx(p50)
    assert published["cold_p95_s"] == pytest.approx(p95)
    assert published["capacity"] == 270
    figures.fill = Fill(target=150, started=150, seconds=300.0, limit="reached", mem_mb=12000.0)
    filled = figures.as_json()
    assert filled["capacity_started"] == 150
    assert filled["fill_mem_per_host_mb"] == 80.0
    assert {"fill_seconds", "fill_limit", "fill_cpu_percent", "cleaned_up"} <= set(filled)
    assert any("really started at once" in line for line in figures.lines())


def test_every_prelude_helper_that_reads_the_process_table_is_known():
    import re

    from app.sandboxes.probes import PRELUDE_FILE, PROCESS_TABLE_READERS, reads_process_table

    text = PRELUDE_FILE.read_text()
    bodies = dict(re.findall(r"^(\w+)\(\) \{\n(.*?)^\}", text, re.S | re.M))
    readers = {name for name, body in bodies.items() if "$ACADEMY_RUN/ps" in body}
    # ... and the helpers calling those, until nothing new turns up.
    while grown := {
        name
        for name, body in bodies.items()
        if name not in readers and any(re.search(rf"\b{r}\b", body) for r in readers)
    }:
        readers |= grown
    assert readers == {"nginx_reloaded_since", "api_start_ms", "real_api_observations"}
    assert readers <= set(PROCESS_TABLE_READERS)
    assert all(reads_process_table(f"x=$({name} 1)") for name in readers)
    assert reads_process_table('awk 1 "$ACADEMY_RUN/ps"')
    assert not reads_process_table("hpsql impactlink_prod 'SELECT 1'")


def test_no_lab_reads_the_process_table_by_a_literal_path():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "labs"
    literal = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.sh"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "/run/academy" in line or "/tmp/academy" in line
    ]
    assert literal == []
