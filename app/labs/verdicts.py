"""Verdicts from what a check printed: FAIL/HINT/DETAIL lines, observations, tamper reports,
expect rules and typed answers. Pure functions, shared by the check runner and its tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from app.content.labs import Check, ExpectRule

Outcome = Literal["passed", "failed", "error"]
PASSED: Outcome = "passed"
FAILED: Outcome = "failed"
ERROR: Outcome = "error"

EXCERPT_CHARS = 4000
TAMPER_MESSAGE = (
    "This check could not confirm the server's state: something on the server changes how it "
    "is observed. Undo changes to the tools, scripts and files the lab relies on, then check again."
)
CLEAN_ENV = ("env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8")
ERROR_MESSAGE = (
    "This check could not run, which is not a verdict on your work. Try again; if it keeps "
    "happening, tell your coordinator."
)


@dataclass
class Verdict:
    """What one check concluded, before it becomes a CheckResult."""

    outcome: Outcome
    message: str = ""
    hints: list[str] = field(default_factory=list)
    detail: str = ""
    tamper: str = ""


def text_of(raw: Any) -> str:
    """Decode command output to text whatever form the runtime returns it in."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def excerpt(*parts: str, limit: int = EXCERPT_CHARS) -> str:
    """Join output parts and keep the head and tail within limit characters."""
    text = "\n".join(p for p in parts if p).strip()
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n… [{len(text) - limit} characters left out] …\n{text[-half:]}"


def parse_shell_output(stdout: str) -> tuple[list[str], list[str], list[str]]:
    """Split a check's output into its FAIL, HINT and DETAIL messages."""
    fails: list[str] = []
    hints: list[str] = []
    details: list[str] = []
    for line in stdout.splitlines():
        stripped = line.strip()
        for prefix, bucket in (("FAIL:", fails), ("HINT:", hints), ("DETAIL:", details)):
            if stripped.startswith(prefix):
                bucket.append(stripped[len(prefix) :].strip())
    return fails, hints, details


def parse_observations(stdout: str) -> tuple[dict[str, str], list[str]]:
    """Return a probe's observations (`OBS name value`) and its TAMPER reports."""
    observed: dict[str, str] = {}
    tampered: list[str] = []
    for line in stdout.splitlines():
        stripped = line.strip()
        if stripped.startswith("OBS "):
            name, _, value = stripped[4:].partition(" ")
            observed.setdefault(name, value.strip())
        elif stripped.startswith("TAMPER:"):
            tampered.append(stripped[len("TAMPER:") :].strip())
    return observed, tampered


def judge_rule(rule: ExpectRule, observed: Mapping[str, str], expected: str) -> bool:
    """Tell whether one observation meets its rule (a missing observation never does)."""
    if rule.obs not in observed:
        return False
    got = observed[rule.obs]
    if rule.op == "equals":
        return got == expected
    if rule.op == "not_equals":
        return got != expected
    if rule.op == "contains":
        return expected in got
    if rule.op == "not_contains":
        return expected not in got
    if rule.op == "matches":
        return re.search(expected, got) is not None
    try:
        number, bound = as_number(got), float(expected)
    except ValueError:
        return False
    return number >= bound if rule.op == "min" else number <= bound


def shell_verdict(exit_code: int, stdout: str, timed_out: bool, fallback: str = "") -> Verdict:
    """Judge a shell check: 0 without FAIL passes, 1 or FAIL fails, anything else is an error."""
    fails, hints, details = parse_shell_output(stdout)
    detail = "\n".join(details)
    _observed, tampered = parse_observations(stdout)
    if tampered and not timed_out and exit_code in (0, 1):
        return Verdict(FAILED, TAMPER_MESSAGE, detail=detail, tamper="\n".join(tampered))
    if timed_out:
        return Verdict(ERROR, ERROR_MESSAGE, detail=f"timed out\n{detail}".strip())
    if exit_code == 0 and not fails:
        return Verdict(PASSED, detail=detail)
    if exit_code in (0, 1):
        message = "\n".join(fails) or fallback or "This check did not pass yet."
        return Verdict(FAILED, message, hints, detail)
    return Verdict(
        ERROR,
        ERROR_MESSAGE,
        detail=f"check script exited with status {exit_code}\n{detail}".strip(),
    )


def compare_answer(given: str, expected: str, compare: str, tolerance: float) -> bool:
    """Compare a typed answer with the value computed in the sandbox."""
    given, expected = given.strip(), expected.strip()
    if compare == "number":
        try:
            return abs(as_number(given) - as_number(expected)) <= tolerance
        except ValueError:
            return False
    if compare == "ci":
        return given.casefold() == expected.casefold()
    return given == expected


def as_number(text: str) -> float:
    """Read a number the way answers are typed: '1,024', '85 %', ' 12 '."""
    cleaned = text.replace(",", "").replace(" ", "").rstrip("%")
    return float(cleaned)


RESOLVED = "resolved"


@dataclass(frozen=True)
class UpdateEntry:
    """One status update as posted: the server's time, the status chosen, the text."""

    posted_at: datetime
    status: str
    text: str


@dataclass(frozen=True)
class Timeline:
    """What an `updates` check judges: the session's ready time, now, the updates posted, and
    the tasks passed so far. Every time is the platform's own (aware UTC)."""

    ready_at: datetime | None
    now: datetime
    updates: tuple[UpdateEntry, ...] = ()
    passed_tasks: frozenset[str] = frozenset()


def text_rule_holds(rule: ExpectRule, text: str, expected: str, among: tuple[str, ...]) -> bool:
    """Tell whether an update's text meets a rule (case-insensitive; `names`: this name, no other
    of `among`, each as whole words)."""
    folded = text.casefold()
    if rule.op == "contains":
        return expected.casefold() in folded
    if rule.op == "not_contains":
        return expected.casefold() not in folded
    if rule.op == "matches":
        return re.search(expected, text, re.IGNORECASE) is not None

    def mentions(name: str) -> bool:
        return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None

    others = [a for a in among if a.casefold() != expected.casefold()]
    return mentions(expected) and not any(mentions(other) for other in others)


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s"


def judge_updates(check: Check, timeline: Timeline, fill: Callable[[str], str]) -> Verdict:
    """Judge the status updates of a session against an `updates` check.

    The first update is due `first_within` minutes after the lab was ready; after it, no more
    than `every` minutes may pass between updates until one marks the incident resolved (or,
    while none does, until now). Each update before the resolved one meets the `each` rules,
    the resolved one the `resolved` rules, none repeats an earlier one, and the tasks named in
    `after` have passed. Messages name the rule broken and the update, never a drawn value.
    """
    updates = sorted(timeline.updates, key=lambda u: u.posted_at)
    ready = timeline.ready_at or (updates[0].posted_at if updates else timeline.now)
    lines = [f"+{_minutes(u.posted_at - ready)} {u.status}: {u.text[:120]}" for u in updates] or [
        "no updates"
    ]
    detail = "\n".join(lines)

    def failed(message: str) -> Verdict:
        return Verdict(FAILED, check.message or message, detail=detail)

    if not updates:
        return failed("No status update has been posted yet.")
    first_due = timedelta(minutes=check.first_within)
    every = timedelta(minutes=check.every)
    if updates[0].posted_at - ready > first_due:
        return failed(
            f"The first status update came {_minutes(updates[0].posted_at - ready)} after the "
            f"incident began; it is due within {check.first_within} minutes."
        )
    resolved_at = next((i for i, u in enumerate(updates) if u.status == RESOLVED), None)
    counted = updates if resolved_at is None else updates[: resolved_at + 1]
    for number, (earlier, later) in enumerate(pairwise(counted), start=1):
        if later.posted_at - earlier.posted_at > every:
            return failed(
                f"{_minutes(later.posted_at - earlier.posted_at)} passed between update "
                f"{number} and update {number + 1}; updates are due at least every "
                f"{check.every} minutes until the incident is resolved."
            )
    if resolved_at is None:
        if timeline.now - counted[-1].posted_at > every:
            return failed(
                f"No status update for more than {check.every} minutes, and none marks the "
                "incident resolved."
            )
        return failed("No update marks the incident resolved yet.")
    seen: set[str] = set()
    for number, update in enumerate(counted, start=1):
        folded = " ".join(update.text.casefold().split())
        if folded in seen:
            return failed(
                f"Update {number} repeats an earlier one word for word: say what has changed."
            )
        seen.add(folded)
        rules = check.resolved_rules if update.status == RESOLVED else check.rules
        for rule in rules:
            expected = fill(rule.value)
            among = tuple(fill(a) for a in rule.among)
            if not text_rule_holds(rule, update.text, expected, among):
                return failed(f"Update {number} ({update.status}): {rule.message}")
    missing = [t for t in check.after if t not in timeline.passed_tasks]
    if missing:
        return failed(
            "An update marks the incident resolved, but the recovery it reports has not been "
            "confirmed yet: the other tasks of this lab have to pass first."
        )
    return Verdict(PASSED, detail=detail)
