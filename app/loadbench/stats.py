"""What the load bench counts, and the report it prints (text, or one JSON object)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# The targets on a 2-core machine with the production server settings (issue 11, item 8).
TARGETS: dict[str, float] = {
    "errors_5xx": 0,
    "dropped_sockets": 0,
    "lesson_p95_ms": 300,
    "check_p95_ms": 1500,
    # A press whose checks could not run (engine, probe or script errors) answers fast: its time
    # measures nothing, so a run with any does not meet the targets.
    "check_errors": 0,
}

# Endpoint names, as the report lists them.
LESSON = "lesson page"
CHECK_PRESS = "check press → result"
START = "lab start → active"
TERMINAL_LAG = "terminal output lag"

# Kept for the report: at most this many distinct problem messages.
MAX_PROBLEMS = 40


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) of values, interpolating between ranks; None if empty."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class EndpointTimes:
    """Every response of one endpoint during the measured window."""

    ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        """Return count, p50/p95/max and the error counts."""
        return {
            "count": len(self.ms),
            "p50_ms": _rounded(percentile(self.ms, 50)),
            "p95_ms": _rounded(percentile(self.ms, 95)),
            "max_ms": _rounded(max(self.ms) if self.ms else None),
            "4xx": sum(n for s, n in self.statuses.items() if 400 <= s < 500),
            "5xx": sum(n for s, n in self.statuses.items() if s >= 500),
            "failed": self.statuses.get(0, 0),
        }


class Recorder:
    """Collects timings from many threads; only the measured window's timings are kept.

    Server errors count whenever they happen (setting up, measuring or tearing down): a 5xx is
    a failure whatever the bench was doing.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.measuring = False
        self.endpoints: dict[str, EndpointTimes] = {}
        self.measures: dict[str, list[float]] = {}
        self.counters: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()

    def response(self, endpoint: str, ms: float, status: int) -> None:
        """Note one HTTP response (status 0: no response at all)."""
        with self.lock:
            if status >= 500:
                self.counters["errors_5xx"] += 1
                self.problems[f"{endpoint}: HTTP {status}"] += 1
            elif status == 0:
                self.counters["failed_requests"] += 1
            if self.measuring:
                times = self.endpoints.setdefault(endpoint, EndpointTimes())
                times.ms.append(ms)
                times.statuses[status] += 1

    def measure(self, name: str, value: float, *, always: bool = False) -> None:
        """Note one value of a measure (in the window only, unless always)."""
        with self.lock:
            if self.measuring or always:
                self.measures.setdefault(name, []).append(value)

    def count(self, name: str, n: int = 1) -> None:
        """Add n to a counter."""
        with self.lock:
            self.counters[name] += n

    def problem(self, message: str) -> None:
        """Note something that went wrong (kept once per distinct message, with a count)."""
        with self.lock:
            if message in self.problems or len(self.problems) < MAX_PROBLEMS:
                self.problems[message] += 1


@dataclass(frozen=True)
class RunFacts:
    """What the run was asked to do and what it managed, besides the recorder's figures."""

    url: str
    sockets_url: str
    lab: str
    trainees: int
    terminals_requested: int
    terminals_open: int
    dropped_sockets: int
    failed_sockets: int
    stalled_sockets: int
    terminal_bytes: int
    starts_requested: int
    starts_ok: int
    starts_failed: int
    seconds: float
    setup_seconds: float
    window: tuple[float, float] = (0.0, 0.0)
    teardown: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)


def build_report(recorder: Recorder, facts: RunFacts) -> dict[str, Any]:
    """Return the whole report as one JSON-ready object (targets judged at the end)."""
    with recorder.lock:
        endpoints = {name: times.summary() for name, times in sorted(recorder.endpoints.items())}
        measures = {name: list(values) for name, values in recorder.measures.items()}
        counters = dict(recorder.counters)
        problems = [f"{message} ({n} times)" for message, n in recorder.problems.most_common()]
    lessons = recorder_values(recorder, LESSON)
    presses = measures.get(CHECK_PRESS, [])
    starts = measures.get(START, [])
    lag = measures.get(TERMINAL_LAG, [])
    requests = sum(e["count"] for e in endpoints.values())
    report: dict[str, Any] = {
        "trainees": facts.trainees,
        "terminals": facts.terminals_open,
        "terminals_requested": facts.terminals_requested,
        "seconds": round(facts.seconds, 1),
        "requests": requests,
        "requests_per_s": round(requests / facts.seconds, 1) if facts.seconds else 0.0,
        "errors_5xx": counters.get("errors_5xx", 0),
        "failed_requests": counters.get("failed_requests", 0),
        "dropped_sockets": facts.dropped_sockets,
        "failed_sockets": facts.failed_sockets,
        "stalled_sockets": facts.stalled_sockets,
        "terminal_bytes": facts.terminal_bytes,
        "terminal_lag_p50_ms": _rounded(percentile(lag, 50)),
        "terminal_lag_p95_ms": _rounded(percentile(lag, 95)),
        "lesson_p50_ms": _rounded(percentile(lessons, 50)),
        "lesson_p95_ms": _rounded(percentile(lessons, 95)),
        "check_presses": len(presses),
        "check_timeouts": counters.get("check_timeouts", 0),
        "check_errors": counters.get("check_errors", 0),
        "check_p50_ms": _rounded(percentile(presses, 50)),
        "check_p95_ms": _rounded(percentile(presses, 95)),
        "starts": facts.starts_requested,
        "starts_ok": facts.starts_ok,
        "starts_failed": facts.starts_failed,
        "start_p50_s": _rounded(percentile(starts, 50), 2),
        "start_p95_s": _rounded(percentile(starts, 95), 2),
        "start_max_s": _rounded(max(starts) if starts else None, 2),
        "endpoints": endpoints,
        "lab": facts.lab,
        "url": facts.url,
        "sockets_url": facts.sockets_url,
        "setup_seconds": round(facts.setup_seconds, 1),
        "window": {"started": round(facts.window[0], 3), "ended": round(facts.window[1], 3)},
        "server": facts.server,
        "teardown": facts.teardown,
        "counters": {k: v for k, v in sorted(counters.items()) if k not in ("errors_5xx",)},
        "problems": problems,
    }
    report["targets"] = judge(report)
    report["targets_met"] = all(t["met"] for t in report["targets"].values())
    return report


def recorder_values(recorder: Recorder, endpoint: str) -> list[float]:
    """Return the timings of one endpoint (empty when it was never called in the window)."""
    with recorder.lock:
        times = recorder.endpoints.get(endpoint)
        return list(times.ms) if times else []


def judge(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compare the report with TARGETS; a figure that could not be measured does not meet it."""
    verdicts = {}
    for name, limit in TARGETS.items():
        value = report.get(name)
        verdicts[name] = {
            "value": value,
            "target": limit,
            "met": value is not None and value <= limit,
        }
    return verdicts


def format_report(report: dict[str, Any]) -> str:
    """Return the report as text for a person."""

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    lines = [
        f"{report['trainees']} trainees, {report['terminals']}/{report['terminals_requested']} "
        f"terminals, {report['starts']} lab starts ({report['lab']}) against {report['url']} "
        f"(sockets {report['sockets_url']}), {report['seconds']} s measured, "
        f"{report['requests']} requests ({report['requests_per_s']}/s)",
        "",
        f"{'endpoint':<34} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'4xx':>5} {'5xx':>5} {'fail':>5}",
    ]
    for name, e in report["endpoints"].items():
        lines.append(
            f"{name:<34} {e['count']:>6} {ms(e['p50_ms']):>8} {ms(e['p95_ms']):>8} "
            f"{ms(e['max_ms']):>8} {e['4xx']:>5} {e['5xx']:>5} {e['failed']:>5}"
        )
    lines += [
        "",
        f"Check press → result shown: p50 {ms(report['check_p50_ms'])} ms, "
        f"p95 {ms(report['check_p95_ms'])} ms ({report['check_presses']} presses, "
        f"{report['check_timeouts']} without a result, {report['check_errors']} in error)",
        f"lab start → session active under load: p50 {report['start_p50_s']} s, "
        f"p95 {report['start_p95_s']} s, max {report['start_max_s']} s "
        f"({report['starts_ok']} of {report['starts']} active, {report['starts_failed']} failed)",
        f"terminals: {report['terminals']} open, {report['dropped_sockets']} dropped "
        f"({report['failed_sockets']} never opened), {report['stalled_sockets']} stalled; "
        f"output lag p50 {ms(report['terminal_lag_p50_ms'])} ms, "
        f"p95 {ms(report['terminal_lag_p95_ms'])} ms; {report['terminal_bytes']} bytes received",
        f"5xx responses: {report['errors_5xx']}; requests without a response: "
        f"{report['failed_requests']}",
        "",
        "targets:",
    ]
    for name, verdict in report["targets"].items():
        mark = "met" if verdict["met"] else "MISSED"
        lines.append(f"  {name:<16} {verdict['value']!s:>8} (≤ {verdict['target']:g})  {mark}")
    server = report.get("server") or {}
    for trigger, runs in (server.get("check_runs") or {}).items():
        queued, running = runs["queued_ms"], runs["running_ms"]
        lines.append(
            f"server: {runs['runs']} {trigger} check runs: queued p50 {ms(queued['p50'])} ms, "
            f"p95 {ms(queued['p95'])} ms; running p50 {ms(running['p50'])} ms, "
            f"p95 {ms(running['p95'])} ms; {runs['unfinished']} unfinished"
        )
    timed = server.get("timed_starts") or {}
    if timed.get("sessions"):
        waited, setup = timed["waiting_for_sandbox_s"], timed["setup_s"]
        lines.append(
            f"server: {timed['sessions']} timed starts ({timed['from_warm_pool']} from the warm "
            f"pool): waiting for a sandbox p50 {waited['p50']} s, p95 {waited['p95']} s; "
            f"lab setup p50 {setup['p50']} s, p95 {setup['p95']} s"
        )
    if report["problems"]:
        lines += ["", "problems seen:"] + [f"  {p}" for p in report["problems"]]
    if report["teardown"]:
        lines += ["", "teardown: " + ", ".join(f"{k} {v}" for k, v in report["teardown"].items())]
    return "\n".join(lines)
