"""Fixtures for the quiz tests: a small programme with every question type, and helpers."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.content.catalog import Catalog, content_version
from app.content.errors import Problems
from app.content.programme import load_programme
from app.content.quizzes import Quiz, QuizSection, load_quizzes, quiz_section
from app.quizzes import services
from app.quizzes.models import QuizAttempt

CONTENT = Path(__file__).parent / "content"


def quiz_settings(content_dir: Path) -> Settings:
    """Return settings that read content from content_dir."""
    return Settings.from_env({"ACADEMY_ENV": "test"}).replace(
        content_dir=content_dir, labs_dir=content_dir / "no-labs"
    )


def build_catalog(content_dir: Path, problems: Problems | None = None) -> Catalog:
    """Load the programme and its quizzes only (other features' content is not needed here)."""
    problems = problems or Problems(content_dir.parent)
    programme = load_programme(content_dir, problems)
    problems.raise_if_any()
    assert programme is not None
    catalog = Catalog(
        programme=programme,
        version=content_version(content_dir),
        lessons={lesson.id: lesson for day in programme.days for lesson in day.lessons},
    )
    load_quizzes(catalog, quiz_settings(content_dir), problems)
    problems.raise_if_any()
    return catalog


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A private copy of the quiz test content, free to edit."""
    target = tmp_path / "curriculum"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def catalog() -> Catalog:
    """The quiz test programme, loaded."""
    return build_catalog(CONTENT)


@pytest.fixture
def section(catalog: Catalog) -> QuizSection:
    """The quiz test programme's quizzes."""
    return quiz_section(catalog)


@pytest.fixture
def alpha(section: QuizSection) -> Quiz:
    """Day 1's quiz: every question type, two attempts, ten minutes apart, no draw."""
    quiz = section.for_day("day-01")
    assert quiz is not None
    return quiz


@pytest.fixture
def final(section: QuizSection) -> Quiz:
    """The final assessment: a draw of three, a 30-minute limit, score-only review."""
    quiz = section.assessment
    assert quiz is not None
    return quiz


@pytest.fixture
def use_catalog(app: Flask, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """Serve the quiz test programme from the app for one test."""
    monkeypatch.setitem(app.extensions, "academy.catalog", catalog)
    return catalog


# What a trainee who knows everything submits, as form values keyed by question id.
RIGHT = {
    "a-single": ["b"],
    "a-multi": ["a", "b", "c"],
    "a-tf": ["false"],
    "a-order": ["backup", "edit", "test", "reload"],
    "a-text": ["  postgresql "],
    "a-num": ["5000"],
    "a-float": ["1.6"],
}


def shown_order(attempt: QuizAttempt, question_id: str) -> list[str]:
    """Return the options of a question in the order the attempt shows them."""
    entry = next(e for e in attempt.paper["questions"] if e["id"] == question_id)
    return list(entry["options"])


@pytest.fixture
def answer_all() -> Callable[..., dict[str, list[str]]]:
    """Build a full submission for an attempt: right answers, with some replaced."""

    def build(attempt: QuizAttempt, **replace: Any) -> dict[str, list[str]]:
        answers = {
            qid: list(values) for qid, values in RIGHT.items() if qid in attempt.question_ids
        }
        for qid, values in replace.items():
            key = qid.replace("_", "-")
            if values is None:
                answers.pop(key, None)
            else:
                answers[key] = values
        return answers

    return build


@pytest.fixture
def start(session: Any, catalog: Catalog) -> Iterator[Callable[..., QuizAttempt]]:
    """Start an attempt for a user at a quiz (optionally at a given time)."""

    def do(user_id: int, quiz: Quiz, **kwargs: Any) -> QuizAttempt:
        return services.start_attempt(user_id, quiz, catalog, **kwargs)

    return do


def right_answer(question: Any) -> list[str]:
    """Return form values that answer any question of the test content correctly."""
    if question.type == "truefalse":
        return ["true" if question.answer else "false"]
    if question.type == "single":
        return [question.answer]
    if question.type in ("multiple", "ordering"):
        return list(question.answer)
    if question.type == "text":
        return [question.answer[0]]
    return [f"{question.answer:g}"]
