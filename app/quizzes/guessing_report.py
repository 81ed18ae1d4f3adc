"""`academy bench guessing`: run the guessing simulation over the content and report it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from app.config import Settings
from app.content.catalog import load_catalog
from app.content.errors import ContentError
from app.content.questions import Quiz, quiz_section
from app.quizzes.guessing import KNOWLEDGE, Figures, pass_rate, simulate

SWEEP_MARKS = (60.0, 65.0, 70.0, 72.5, 75.0, 77.5, 80.0, 82.5, 85.0, 87.5, 90.0)


def load_quizzes(quiz_ids: tuple[str, ...]) -> list[Quiz]:
    """Load the content named by the ACADEMY_* settings and return the quizzes asked for."""
    settings = Settings.from_env(
        {**os.environ, "ACADEMY_ENV": os.environ.get("ACADEMY_ENV", "development")}
    )
    section = quiz_section(load_catalog(settings))
    unknown = [q for q in quiz_ids if q not in section.quizzes]
    if unknown:
        raise ValueError(f"no quiz {', '.join(unknown)}")
    return [section.quizzes[q] for q in quiz_ids] if quiz_ids else list(section.quizzes.values())


def sweep(scores: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Return the knowers' per-attempt pass rates at each pass mark of SWEEP_MARKS."""
    return {
        f"{mark:g}": {name: pass_rate(mark, values) for name, values in scores.items()}
        for mark in SWEEP_MARKS
    }


def run_bench(
    quiz_ids: tuple[str, ...],
    as_json: bool,
    check: bool,
    trials: int,
    seed: int,
    legacy: bool,
    with_sweep: bool,
    echo: Callable[[str], Any],
) -> int:
    """Simulate each quiz, print the figures, and return the exit code (1: a target missed)."""
    try:
        quizzes = load_quizzes(quiz_ids)
    except (ContentError, ValueError) as error:
        echo(f"cannot load the quizzes: {error}")
        return 2
    results: dict[str, tuple[Quiz, Figures, dict[str, list[float]]]] = {}
    for quiz in quizzes:
        figures, scores = simulate(quiz, trials, seed, legacy=legacy)
        results[quiz.id] = (quiz, figures, scores)
    misses = [
        miss for quiz, figures, _ in results.values() for miss in figures.misses(quiz.is_assessment)
    ]
    if as_json:
        out = {}
        for quiz_id, (_, figures, scores) in results.items():
            out[quiz_id] = figures.as_json()
            if with_sweep:
                out[quiz_id]["pass_mark_sweep"] = sweep(scores)
        echo(json.dumps(out, indent=2))
    else:
        _table(results, trials, seed, legacy, with_sweep, echo)
        for miss in misses:
            echo(f"MISSED {miss}")
    return 1 if check and misses else 0


def _table(
    results: dict[str, tuple[Quiz, Figures, dict[str, list[float]]]],
    trials: int,
    seed: int,
    legacy: bool,
    with_sweep: bool,
    echo: Callable[[str], Any],
) -> None:
    engine = "the engine before this change" if legacy else "the current engine"
    echo(f"P(pass), {trials} simulated trainees per quiz, seed {seed}, {engine}")
    echo(
        f"{'quiz':<22}{'attempts':>9}{'test-wise':>11}{'random':>9}   per attempt:"
        + "".join(f"{name:>9}" for name in KNOWLEDGE)
    )
    for quiz_id, (_, figures, scores) in results.items():
        echo(
            f"{quiz_id:<22}{figures.attempts:>9}{figures.p_pass_test_wise:>11.2%}"
            f"{figures.p_pass_random:>9.2%}{'':>15}"
            + "".join(f"{figures.per_attempt[name]:>9.1%}" for name in KNOWLEDGE)
        )
        if with_sweep:
            for mark, rates in sweep(scores).items():
                echo(
                    f"{'':<4}pass mark {mark:>5}%:"
                    + "".join(f"  {name} {rate:6.1%}" for name, rate in rates.items())
                )
