"""The load bench's pure parts: percentiles, the report and its JSON, what it reads from pages.

The bench itself drives a running server (scripts/bench-load.sh); nothing here times anything.
"""

from __future__ import annotations

import json
import random

import pytest

from app.loadbench.browser import BenchError, loopback_url
from app.loadbench.pages import answers, read_page
from app.loadbench.scenario import LoadPlan
from app.loadbench.stats import (
    CHECK_PRESS,
    LESSON,
    START,
    TARGETS,
    Recorder,
    RunFacts,
    build_report,
    format_report,
    percentile,
)
from app.loadbench.terminals import FLOW_COMMAND, output_lines, socket_url, timestamp_of

REQUIRED = (
    "errors_5xx",
    "dropped_sockets",
    "lesson_p95_ms",
    "check_p95_ms",
    "terminals",
    "trainees",
    "start_p50_s",
    "start_p95_s",
)


def facts(**changes: object) -> RunFacts:
    values: dict[str, object] = {
        "url": "http://127.0.0.1:8000",
        "sockets_url": "ws://127.0.0.1:8001",
        "lab": "slow-query",
        "trainees": 100,
        "terminals_requested": 50,
        "terminals_open": 50,
        "dropped_sockets": 0,
        "failed_sockets": 0,
        "stalled_sockets": 0,
        "terminal_bytes": 1234,
        "starts_requested": 20,
        "starts_ok": 20,
        "starts_failed": 0,
        "seconds": 60.0,
        "setup_seconds": 30.0,
    }
    values.update(changes)
    return RunFacts(**values)  # type: ignore[arg-type]


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_recorder_keeps_timings_of_the_window_but_counts_every_server_error() -> None:
    recorder = Recorder()
    recorder.response(LESSON, 10.0, 200)
    recorder.response("login", 10.0, 502)
    recorder.measuring = True
    recorder.response(LESSON, 20.0, 200)
    recorder.response(LESSON, 30.0, 500)
    recorder.response("quiz save", 5.0, 0)
    recorder.measure(CHECK_PRESS, 400.0)
    recorder.measuring = False
    recorder.measure(CHECK_PRESS, 9999.0)

    report = build_report(recorder, facts())

    assert report["errors_5xx"] == 2
    assert report["failed_requests"] == 1
    assert report["endpoints"][LESSON]["count"] == 2
    assert report["endpoints"][LESSON]["5xx"] == 1
    assert report["endpoints"]["quiz save"]["failed"] == 1
    assert report["check_presses"] == 1
    assert report["check_p95_ms"] == 400.0
    assert any("HTTP 502" in problem for problem in report["problems"])


def test_report_is_one_json_object_with_the_figures_and_the_targets_judged() -> None:
    recorder = Recorder()
    recorder.measuring = True
    for ms in (50.0, 80.0, 120.0):
        recorder.response(LESSON, ms, 200)
    for ms in (300.0, 700.0):
        recorder.measure(CHECK_PRESS, ms)
    for seconds in (2.0, 4.0, 9.0):
        recorder.measure(START, seconds)

    report = json.loads(json.dumps(build_report(recorder, facts(dropped_sockets=1))))

    for key in REQUIRED:
        assert key in report
    assert report["trainees"] == 100
    assert report["terminals"] == 50
    assert report["start_p50_s"] == 4.0
    assert set(report["targets"]) == set(TARGETS)
    assert report["targets"]["lesson_p95_ms"]["met"] is True
    assert report["targets"]["dropped_sockets"]["met"] is False
    assert report["targets_met"] is False


def test_presses_whose_checks_ended_in_error_do_not_meet_the_targets() -> None:
    recorder = Recorder()
    recorder.measuring = True
    recorder.response(LESSON, 42.0, 200)
    recorder.measure(CHECK_PRESS, 80.0)
    recorder.count("check_errors")

    report = build_report(recorder, facts())

    assert report["check_errors"] == 1
    assert report["targets"]["check_p95_ms"]["met"] is True
    assert report["targets"]["check_errors"]["met"] is False
    assert report["targets_met"] is False
    assert "1 in error" in format_report(report)


def test_a_figure_never_measured_does_not_meet_its_target() -> None:
    report = build_report(Recorder(), facts())

    assert report["lesson_p95_ms"] is None
    assert report["targets"]["check_p95_ms"]["met"] is False
    assert report["targets_met"] is False


def test_text_report_lists_endpoints_and_targets() -> None:
    recorder = Recorder()
    recorder.measuring = True
    recorder.response(LESSON, 42.0, 200)

    text = format_report(build_report(recorder, facts()))

    assert LESSON in text
    assert "lesson_p95_ms" in text
    assert "MISSED" in text  # no Check press was measured


PAPER = """
<html><head><meta name="csrf-token" content="tok-123"></head><body>
<form method="post" id="paper" action="/submit" data-save="/quizzes/attempts/7/save">
  <input id="csrf_token" name="csrf_token" type="hidden" value="tok-123">
  <input type="radio" name="q-one" value="a"><input type="radio" name="q-one" value="b">
  <input type="checkbox" name="q-many" value="x"><input type="checkbox" name="q-many" value="y">
  <input type="checkbox" name="q-many" value="z">
  <input type="hidden" name="q-order" value="s1"><input type="hidden" name="q-order" value="s2">
  <input type="hidden" name="q-order" value="s3">
  <input type="text" inputmode="decimal" name="q-number" value="">
</form>
<section class="sandbox-terminal" data-socket="/sandboxes/abc/terminal?host=prod"
         data-socket-origin="ws://127.0.0.1:8001"></section>
</body></html>
"""


def test_page_reading_finds_token_paper_and_terminal() -> None:
    found = read_page(PAPER)

    assert found.csrf_token == "tok-123"
    assert found.save_url == "/quizzes/attempts/7/save"
    assert set(found.paper) == {"q-one", "q-many", "q-order", "q-number"}
    assert found.paper["q-order"].values == ["s1", "s2", "s3"]
    assert found.socket_path == "/sandboxes/abc/terminal?host=prod"
    assert found.socket_origin == "ws://127.0.0.1:8001"


def test_answers_use_only_values_the_paper_offered() -> None:
    paper = read_page(PAPER).paper
    for seed in range(20):
        pairs = answers(paper, random.Random(seed))
        by_name: dict[str, list[str]] = {}
        for name, value in pairs:
            by_name.setdefault(name, []).append(value)
        assert len(by_name["q-one"]) == 1
        assert by_name["q-one"][0] in {"a", "b"}
        assert 1 <= len(by_name["q-many"]) <= 2
        assert set(by_name["q-many"]) <= {"x", "y", "z"}
        assert sorted(by_name["q-order"]) == ["s1", "s2", "s3"]
        assert len(by_name["q-number"]) == 1


def test_terminal_output_is_split_into_lines_and_timestamps() -> None:
    lines, rest = output_lines("", "1765000000.5\r\n1765000000.6\r\n17650")
    assert lines == ["1765000000.5", "1765000000.6"]
    assert rest == "17650"
    lines, rest = output_lines(rest, "00000.7\r\n")
    assert lines == ["1765000000.7"]
    assert timestamp_of("1765000000.123456789") == pytest.approx(1765000000.123456789)
    assert timestamp_of(FLOW_COMMAND) is None  # the command's echo is not a line of output
    assert timestamp_of("1765000000.123456") == pytest.approx(1765000000.123456)
    assert timestamp_of("impactlink@prod:~$ ") is None


def test_the_bench_only_targets_this_machine() -> None:
    assert loopback_url("http://127.0.0.1:8000/", ("http",)) == "http://127.0.0.1:8000"
    assert loopback_url("ws://localhost:8001", ("ws",)) == "ws://localhost:8001"
    with pytest.raises(BenchError, match=r"127\.0\.0\.1"):
        loopback_url("http://example.com:8000", ("http",))
    with pytest.raises(BenchError, match="must start with"):
        loopback_url("ftp://127.0.0.1", ("http",))
    with pytest.raises(BenchError):
        LoadPlan(url="http://10.0.0.5:8000", sockets_url=None).check()


def test_plan_spreads_terminals_over_sessions_and_needs_enough_trainees() -> None:
    plan = LoadPlan(url="http://127.0.0.1:8000", sockets_url="ws://127.0.0.1:8001")
    assert plan.terminal_sessions == 13  # 50 terminals, 4 per session
    plan.check()
    assert LoadPlan(url=plan.url, sockets_url=None, terminals=0).terminal_sessions == 0
    with pytest.raises(BenchError, match="at least 33 trainees"):
        LoadPlan(url=plan.url, sockets_url=None, trainees=10).check()


def test_terminal_socket_goes_to_the_socket_process_whatever_address_the_page_gives() -> None:
    for address in (
        "/sandboxes/abc/terminal?host=prod",
        "ws://127.0.0.1:8000/sandboxes/abc/terminal?host=prod",
    ):
        assert socket_url("ws://127.0.0.1:8001", address) == (
            "ws://127.0.0.1:8001/sandboxes/abc/terminal?host=prod&cols=120&rows=30"
        )


def test_a_starting_page_polls_twice_a_second_at_first_then_backs_off():
    from app.loadbench.actors import start_poll

    def polls_during(seconds: float) -> int:
        waited, count = 0.0, 0
        while waited < seconds:
            waited += start_poll(waited)
            count += 1
        return count

    # A warm start (about a second) is seen within half a second...
    assert start_poll(0.0) == start_poll(4.9) == 0.5
    # ...while a start that takes four minutes costs 140 polls, not the 480 of a fixed 0.5 s.
    assert polls_during(5) == 10
    assert polls_during(240) == 10 + 25 + 105
    assert start_poll(3600) == 2.0
