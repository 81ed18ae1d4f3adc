"""Reading submitted answers strictly and grading them: pure functions, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from app.content.questions import Question

MAX_TEXT_ANSWER = 500
# Floats are compared with a hair of slack so that 0.1 + 0.2 == 0.3 within tolerance 0.
FLOAT_SLACK = 1e-9
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
GROUPED = re.compile(r"^[+-]?\d{1,3}([ ,_\u00a0\u202f]\d{3})+(\.\d*)?$")


class TamperedSubmission(ValueError):
    """The submission cannot have come from the attempt's own form; nothing was stored."""


def normalise_text(value: str) -> str:
    """Fold case and collapse whitespace, so 'Etc/Hosts ' equals '/etc/hosts'-style answers."""
    return " ".join(value.split()).casefold()


def parse_number(value: str) -> float | None:
    """Read a typed number: '1209600', '1,209,600', '1 209 600', '0.5', '-3e2', '82 %'."""
    text = value.strip().removesuffix("%").rstrip()
    if GROUPED.match(text):
        text = re.sub(r"[ ,_\u00a0\u202f]", "", text)
    if not NUMBER.match(text):
        return None
    return float(text)


def read_answers(
    raw: Mapping[str, list[str]],
    paper: Mapping[str, Question],
    option_order: Mapping[str, list[str]],
    known_question_ids: Iterable[str],
) -> dict[str, Any]:
    """Turn form values into canonical answers, or raise TamperedSubmission.

    `raw` maps question ids to the values the form sent; `paper` holds the versions of the
    attempt's questions and `option_order` the options shown for each.
    """
    known = set(known_question_ids)
    answers: dict[str, Any] = {}
    for question_id, values in raw.items():
        question = paper.get(question_id)
        if question is None:
            if question_id in known:
                raise TamperedSubmission(f"question {question_id!r} is not part of this attempt")
            raise TamperedSubmission(f"unknown question {question_id!r}")
        answer = _read_one(question, option_order.get(question_id, []), values)
        if answer is not None:
            answers[question_id] = answer
    return answers


def _read_one(question: Question, shown: list[str], values: list[str]) -> Any:
    values = [v for v in values if v != ""] if question.type != "ordering" else values
    if not values:
        return None
    many = len(values) > 1
    if question.type in ("single", "multiple", "ordering"):
        strangers = [v for v in values if v not in shown]
        if strangers:
            raise TamperedSubmission(
                f"option {strangers[0]!r} is not an option of question {question.id!r}"
            )
    if question.type == "single":
        if many:
            raise TamperedSubmission(f"question {question.id!r} takes one option")
        return values[0]
    if question.type == "multiple":
        if len(set(values)) != len(values):
            raise TamperedSubmission(f"an option of question {question.id!r} was sent twice")
        return sorted(values)
    if question.type == "ordering":
        if sorted(values) != sorted(shown):
            raise TamperedSubmission(f"question {question.id!r} must order every option once")
        return list(values)
    if many:
        raise TamperedSubmission(f"question {question.id!r} takes one answer")
    if question.type == "truefalse":
        if values[0] not in ("true", "false"):
            raise TamperedSubmission(f"question {question.id!r} takes true or false")
        return values[0] == "true"
    text = values[0].strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise TamperedSubmission(f"the answer to {question.id!r} is too long")
    return text or None


def grade(question: Question, answer: Any) -> float:
    """Return the points (0 to 1) an answer earns; no answer earns 0."""
    if answer is None:
        return 0.0
    if question.type in ("single", "truefalse"):
        return 1.0 if answer == question.answer else 0.0
    if question.type == "multiple":
        return _multiple(question, set(answer))
    if question.type == "ordering":
        # A procedure done in a different order is a different procedure: all or nothing.
        return 1.0 if list(answer) == list(question.answer) else 0.0
    if question.type == "text":
        return 1.0 if text_matches(question, str(answer)) else 0.0
    if question.type == "numeric":
        value = parse_number(str(answer))
        if value is None:
            return 0.0
        return 1.0 if abs(value - question.answer) <= question.tolerance + FLOAT_SLACK else 0.0
    raise ValueError(f"unknown question type {question.type!r}")


def _multiple(question: Question, picked: set[str]) -> float:
    """Each right pick earns 1/(right options); each wrong pick costs 1/(wrong options).

    Ticking every box therefore scores 0, and the total never goes below 0.
    """
    right = set(question.answer)
    wrong = set(question.option_ids) - right
    earned = len(picked & right) / len(right)
    lost = len(picked & wrong) / len(wrong) if wrong else 0.0
    return round(max(0.0, earned - lost), 6)


def text_matches(question: Question, answer: str) -> bool:
    """Tell whether a typed answer is one of the accepted answers or matches a pattern in full."""
    typed = normalise_text(answer)
    if typed in {normalise_text(a) for a in question.answer}:
        return True
    spaced = " ".join(answer.split())
    return any(re.fullmatch(p, spaced, re.IGNORECASE) for p in question.patterns)


def is_correct(points: float) -> bool:
    """Tell whether points count as a fully correct answer."""
    return points >= 1.0 - FLOAT_SLACK


def score_percent(points: Iterable[float], questions: int) -> float:
    """Return the paper's score as a percentage with one decimal."""
    return round(100 * sum(points) / questions, 1) if questions else 0.0


def reaches(total: float, questions: int, pass_mark: float) -> bool:
    """Tell whether total points on a paper of `questions` reach the pass mark (unrounded)."""
    exact = 100 * total / questions if questions else 0.0
    return exact >= pass_mark - FLOAT_SLACK


def answer_label(question: Question, answer: Any) -> str:
    """Describe an answer in words, for the review and the statistics."""
    if answer is None:
        return "(no answer)"
    if question.type == "truefalse":
        return "True" if answer else "False"
    if question.type in ("single", "multiple", "ordering"):
        items = [answer] if isinstance(answer, str) else list(answer)
        joiner = " → " if question.type == "ordering" else ", "
        return joiner.join(_option_text(question, i) for i in items)
    return str(answer)


def correct_label(question: Question) -> str:
    """Describe the correct answer in words."""
    if question.type == "text":
        accepted = " / ".join(question.answer)
        return accepted + (" (or matching the accepted patterns)" if question.patterns else "")
    if question.type == "numeric":
        value = f"{question.answer:g}"
        return value + (f" (± {question.tolerance:g})" if question.tolerance else "")
    return answer_label(question, question.answer)


def answer_html(question: Question, answer: Any) -> Markup:
    """Show an answer on a page, with option texts rendered as they were on the paper."""
    if question.type in ("single", "multiple", "ordering") and answer is not None:
        items = [answer] if isinstance(answer, str) else list(answer)
        joiner = Markup(" → ") if question.type == "ordering" else Markup(", ")
        return joiner.join(_option_html(question, i) for i in items)
    return escape(answer_label(question, answer))


def correct_html(question: Question) -> Markup:
    """Show the correct answer on a page."""
    if question.type in ("single", "multiple", "ordering"):
        return answer_html(question, question.answer)
    return escape(correct_label(question))


def _option_html(question: Question, option_id: str) -> Markup:
    option = question.option(option_id)
    return option.html if option else escape(option_id)


def _option_text(question: Question, option_id: str) -> str:
    option = question.option(option_id)
    return option.text if option else option_id
