"""Verdicts from what a check printed: FAIL/HINT/DETAIL lines, observations, tamper reports,
expect rules and typed answers. Pure functions, shared by the check runner and its tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from app.content.labs import ExpectRule

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
