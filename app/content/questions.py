"""What a quiz is made of: questions, options, draw rules, quizzes, and their versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from app.content.markdown_render import render_markdown

if TYPE_CHECKING:
    from app.content.catalog import Catalog

SECTION = "quizzes"


@dataclass(frozen=True)
class Option:
    """One choice of a question."""

    id: str
    text: str

    @property
    def html(self) -> Markup:
        """Return the option text rendered as inline Markdown."""
        return inline_markdown(self.text)


@dataclass(frozen=True)
class Question:
    """One question as written; `version` is a hash of its whole definition."""

    id: str
    type: str
    prompt: str
    explanation: str
    tags: tuple[str, ...]
    options: tuple[Option, ...] = ()
    # single: option id; multiple/ordering: option ids; truefalse: bool; text: accepted
    # answers; numeric: a number.
    answer: Any = None
    patterns: tuple[str, ...] = ()
    tolerance: float = 0.0
    # A hint at the concept behind the question that never states the key: shown after a
    # failed attempt, when the explanation (which gives the answer away) is not shown yet.
    concept: str = ""

    @property
    def definition(self) -> dict[str, Any]:
        """Return the question as plain data, as stored with every version."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "prompt": self.prompt,
            "explanation": self.explanation,
            "tags": list(self.tags),
            "options": [[o.id, o.text] for o in self.options],
            "answer": list(self.answer) if isinstance(self.answer, tuple) else self.answer,
            "patterns": list(self.patterns),
            "tolerance": self.tolerance,
        }
        # Only when written, so that questions without one keep the versions they always had.
        if self.concept:
            data["concept"] = self.concept
        return data

    @property
    def version(self) -> str:
        """Return the hash that changes whenever anything in the question changes."""
        return definition_hash(self.definition)

    @property
    def option_ids(self) -> tuple[str, ...]:
        """Return the option ids in written order."""
        return tuple(o.id for o in self.options)

    def option(self, option_id: str) -> Option | None:
        """Return an option by id."""
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def prompt_html(self) -> Markup:
        """Return the prompt rendered from Markdown."""
        return block_markdown(self.prompt)

    @property
    def explanation_html(self) -> Markup:
        """Return the explanation rendered from Markdown."""
        return block_markdown(self.explanation)

    @property
    def concept_html(self) -> Markup:
        """Return the concept hint rendered from Markdown."""
        return block_markdown(self.concept)


@dataclass(frozen=True)
class DrawRule:
    """Draw `count` questions carrying `tag` (any question when tag is None)."""

    tag: str | None
    count: int


@dataclass(frozen=True)
class Quiz:
    """A question bank with the rules for drawing a paper and taking it."""

    id: str
    title: str
    pass_mark: float
    max_attempts: int
    delay_minutes: int
    time_limit_minutes: int
    review: str
    draw: tuple[DrawRule, ...]
    questions: tuple[Question, ...]
    path: Path
    day_id: str | None = None

    @property
    def is_assessment(self) -> bool:
        """Tell whether this is the final assessment rather than a day's quiz."""
        return self.day_id is None

    @property
    def paper_size(self) -> int:
        """Return the number of questions on each paper."""
        return sum(rule.count for rule in self.draw) if self.draw else len(self.questions)

    def question(self, question_id: str) -> Question | None:
        """Return a question of the bank by id."""
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass
class QuizSection:
    """Every quiz by id, the day each day quiz belongs to, and the final assessment."""

    quizzes: dict[str, Quiz] = field(default_factory=dict)
    by_day: dict[str, str] = field(default_factory=dict)
    assessment_id: str | None = None

    def for_day(self, day_id: str) -> Quiz | None:
        """Return the quiz of a day."""
        quiz_id = self.by_day.get(day_id)
        return self.quizzes.get(quiz_id) if quiz_id else None

    @property
    def assessment(self) -> Quiz | None:
        """Return the final assessment."""
        return self.quizzes.get(self.assessment_id) if self.assessment_id else None

    def question(self, question_id: str) -> Question | None:
        """Return the current definition of a question from any quiz."""
        for quiz in self.quizzes.values():
            found = quiz.question(question_id)
            if found is not None:
                return found
        return None

    @property
    def question_ids(self) -> set[str]:
        """Return the id of every question in every quiz."""
        return {q.id for quiz in self.quizzes.values() for q in quiz.questions}


def quiz_section(catalog: Catalog) -> QuizSection:
    """Return the catalog's quizzes (an empty section when none were loaded)."""
    section = catalog.sections.get(SECTION)
    return section if isinstance(section, QuizSection) else QuizSection()


def definition_hash(definition: dict[str, Any]) -> str:
    """Hash a question definition canonically (key order and YAML layout do not matter)."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def question_from_definition(definition: dict[str, Any]) -> Question:
    """Rebuild a question from a stored definition."""
    answer = definition["answer"]
    return Question(
        id=definition["id"],
        type=definition["type"],
        prompt=definition["prompt"],
        explanation=definition["explanation"],
        tags=tuple(definition["tags"]),
        options=tuple(Option(o[0], o[1]) for o in definition["options"]),
        answer=tuple(answer) if isinstance(answer, list) else answer,
        patterns=tuple(definition["patterns"]),
        tolerance=float(definition["tolerance"]),
        concept=definition.get("concept", ""),
    )


@lru_cache(maxsize=4096)
def block_markdown(text: str) -> Markup:
    """Render Markdown once per distinct text."""
    return Markup(render_markdown(text))  # noqa: S704 - render_markdown sanitises its output


@lru_cache(maxsize=4096)
def inline_markdown(text: str) -> Markup:
    """Render a one-line Markdown text without its paragraph wrapper."""
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 - render_markdown sanitises its output
