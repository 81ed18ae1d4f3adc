"""Quizzes and the final assessment, read from quiz.yaml files and validated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.content.errors import Problems
from app.content.programme import check_id
from app.content.questions import (
    SECTION,
    DrawRule,
    Option,
    Question,
    Quiz,
    QuizSection,
    question_from_definition,
    quiz_section,
)
from app.content.yamlfile import Fields, Seq, read

if TYPE_CHECKING:
    from app.config import Settings
    from app.content.catalog import Catalog

# The quiz types live in app.content.questions; they are importable from here too.
__all__ = [
    "DrawRule",
    "Option",
    "Question",
    "Quiz",
    "QuizSection",
    "assessment_counts",
    "day_counts",
    "load_quizzes",
    "question_from_definition",
    "quiz_section",
]

ASSESSMENT_FILE = Path("assessment") / "assessment.yaml"
QUESTION_TYPES = ("single", "multiple", "truefalse", "ordering", "text", "numeric")
REVIEW_MODES = ("score", "wrong", "answers")
QUIZ_KEYS = (
    "id",
    "title",
    "pass_mark",
    "max_attempts",
    "delay_minutes",
    "time_limit_minutes",
    "review",
    "draw",
    "questions",
)
QUESTION_KEYS = ("id", "type", "prompt", "options", "answer", "explanation", "concept", "tags")
# Keys that only some types take; anything else on a question is a typo or a misunderstanding.
TYPE_KEYS = {"text": ("patterns",), "numeric": ("tolerance",)}
MIN_OPTIONS = {"single": 2, "multiple": 2, "ordering": 3}


def load_quizzes(catalog: Catalog, settings: Settings, problems: Problems) -> None:
    """Load every day's quiz.yaml and the final assessment into catalog.sections["quizzes"]."""
    section = QuizSection()
    seen_questions: dict[str, tuple[Path, int]] = {}
    files: list[tuple[Path, str | None]] = [
        (settings.content_dir / day.folder / "quiz.yaml", day.id) for day in catalog.days
    ]
    files.append((settings.content_dir / ASSESSMENT_FILE, None))
    for path, day_id in files:
        if not path.is_file():
            if day_id is None:
                problems.add(
                    path, 1, "the final assessment is missing (assessment/assessment.yaml)"
                )
            continue
        quiz = _load_quiz(path, day_id, problems, seen_questions)
        if quiz is None:
            continue
        if quiz.id in section.quizzes:
            other = section.quizzes[quiz.id].path.name
            problems.add(path, 1, f"quiz id {quiz.id!r} is also used by {other}")
            continue
        section.quizzes[quiz.id] = quiz
        if day_id is None:
            section.assessment_id = quiz.id
        else:
            section.by_day[day_id] = quiz.id
    catalog.sections[SECTION] = section


def day_counts(catalog: Catalog, day_id: str) -> dict[str, int]:
    """Count the questions in a day's bank, for `academy content stats`."""
    quiz = quiz_section(catalog).for_day(day_id)
    return {"questions": len(quiz.questions) if quiz else 0}


def assessment_counts(catalog: Catalog) -> dict[str, int]:
    """Count the questions in the final assessment's bank, for `academy content stats`."""
    quiz = quiz_section(catalog).assessment
    return {"assessment_questions": len(quiz.questions) if quiz else 0}


def _load_quiz(
    path: Path, day_id: str | None, problems: Problems, seen: dict[str, tuple[Path, int]]
) -> Quiz | None:
    fields = Fields(read(path, problems), path, problems, "quiz")
    if not fields.ok:
        return None
    fields.allow_only(QUIZ_KEYS)
    quiz_id = fields.text("id", required=True)
    check_id(quiz_id, fields, "id")
    pass_mark = fields.get("pass_mark", (int, float), 0, required=True)
    if not 0 <= pass_mark <= 100:
        fields.error("pass_mark", f"pass_mark must be between 0 and 100, got {pass_mark}")
    counts = {}
    for key in ("max_attempts", "delay_minutes", "time_limit_minutes"):
        counts[key] = fields.get(key, int, 0)
        if counts[key] < 0:
            fields.error(key, f"{key} must be 0 or more, got {counts[key]}")
    review = fields.text("review", "answers")
    if review not in REVIEW_MODES:
        fields.error("review", f"review must be one of {', '.join(REVIEW_MODES)}, got {review!r}")

    def question(item: Any, line: int) -> Question | None:
        built = _load_question(item, line, path, problems)
        if built is None:
            return None
        if built.id in seen:
            other, other_line = seen[built.id]
            problems.add(
                path, line, f"question id {built.id!r} is also used at {other.name}:{other_line}"
            )
            return None
        seen[built.id] = (path, line)
        return built

    questions = fields.items("questions", question, required=True)
    if "questions" in fields.node and not fields.node["questions"]:
        fields.error("questions", "a quiz needs at least one question")
    draw = tuple(fields.items("draw", lambda item, line: _draw_rule(item, line, path, problems)))
    _check_draw(fields, draw, questions)
    return Quiz(
        id=quiz_id,
        title=fields.text("title", required=True),
        pass_mark=float(pass_mark),
        max_attempts=counts["max_attempts"],
        delay_minutes=counts["delay_minutes"],
        time_limit_minutes=counts["time_limit_minutes"],
        review=review,
        draw=draw,
        questions=tuple(questions),
        path=path,
        day_id=day_id,
    )


def _draw_rule(item: Any, line: int, path: Path, problems: Problems) -> DrawRule | None:
    fields = Fields(item, path, problems, "draw rule", line)
    if not fields.ok:
        return None
    fields.allow_only(("tag", "count"))
    count = fields.get("count", int, 0, required=True)
    if count < 1:
        fields.error(
            "count" if "count" in fields.node else None, "a draw rule's count must be 1 or more"
        )
        return None
    tag = fields.get("tag", str, None)
    return DrawRule(tag=tag or None, count=count)


def _check_draw(fields: Fields, draw: tuple[DrawRule, ...], questions: list[Question]) -> None:
    """Prove every rule can be met whatever the earlier rules happened to draw."""
    raw = fields.node.get("draw")
    lines = raw.item_lines if isinstance(raw, Seq) else []
    pools: list[set[str]] = []
    for index, rule in enumerate(draw):
        line = lines[index] if index < len(lines) else fields.line("draw")
        pool = {q.id for q in questions if rule.tag is None or rule.tag in q.tags}
        # In the worst case each earlier rule took as many of this pool as it could.
        taken = sum(
            min(earlier.count, len(earlier_pool & pool))
            for earlier, earlier_pool in zip(draw[:index], pools, strict=True)
        )
        left = len(pool) - taken
        if left < rule.count:
            what = f"tagged {rule.tag!r}" if rule.tag else "from the rest of the bank"
            fields.problems.add(
                fields.path,
                line,
                f"draw rule asks for {rule.count} question(s) {what} but only {max(left, 0)} are "
                f"certain to be left ({len(pool)} in the pool, earlier rules may take {taken})",
            )
        pools.append(pool)


def _load_question(item: Any, line: int, path: Path, problems: Problems) -> Question | None:
    fields = Fields(item, path, problems, "question", line)
    if not fields.ok:
        return None
    kind = fields.text("type", required=True)
    if kind not in QUESTION_TYPES:
        fields.error("type", f"type must be one of {', '.join(QUESTION_TYPES)}, got {kind!r}")
        return None
    fields.allow_only(QUESTION_KEYS + TYPE_KEYS.get(kind, ()))
    question_id = fields.text("id", required=True)
    check_id(question_id, fields, "id")
    tags = fields.strings("tags", required=True)
    if "tags" in fields.node and not tags:
        fields.error("tags", "a question needs at least one tag")
    options = _options(fields, kind)
    answer = _answer(fields, kind, options)
    patterns = _patterns(fields) if kind == "text" else ()
    tolerance = 0.0
    if kind == "numeric":
        tolerance = float(fields.get("tolerance", (int, float), 0))
        if tolerance < 0:
            fields.error("tolerance", f"tolerance must be 0 or more, got {tolerance}")
    if answer is None:
        return None
    return Question(
        id=question_id,
        type=kind,
        prompt=fields.text("prompt", required=True),
        explanation=fields.text("explanation", required=True),
        tags=tuple(tags),
        options=options,
        answer=answer,
        patterns=patterns,
        tolerance=tolerance,
        concept=fields.text("concept").strip(),
    )


def _options(fields: Fields, kind: str) -> tuple[Option, ...]:
    if kind not in MIN_OPTIONS:
        if "options" in fields.node:
            fields.error("options", f"a {kind} question takes no options")
        return ()
    seen: set[str] = set()

    def option(item: Any, line: int) -> Option | None:
        o = Fields(item, fields.path, fields.problems, "option", line)
        if not o.ok:
            return None
        o.allow_only(("id", "text"))
        option_id = _scalar_text(o, "id")
        text = _scalar_text(o, "text")
        if not option_id or not text:
            return None
        if option_id in seen:
            o.error("id", f"option id {option_id!r} is used twice in this question")
            return None
        seen.add(option_id)
        return Option(option_id, text)

    options = tuple(fields.items("options", option, required=True))
    if "options" in fields.node and len(options) < MIN_OPTIONS[kind]:
        fields.error("options", f"a {kind} question needs at least {MIN_OPTIONS[kind]} options")
    return options


def _scalar_text(fields: Fields, key: str) -> str:
    """Return a required short text, taking unquoted numbers as text (`id: 1`, `text: 5000`)."""
    value = fields.get(key, (str, int, float), None, required=True)
    text = "" if value is None else str(value).strip()
    if value is not None and not text:
        fields.error(key, f"{key!r} must not be empty")
    return text


def _answer(fields: Fields, kind: str, options: tuple[Option, ...]) -> Any:
    """Return the answer in its canonical form, or None after recording why it is wrong."""
    if "answer" not in fields.node or fields.node["answer"] is None:
        fields.error(None, "question is missing required key 'answer'")
        return None
    value = fields.node["answer"]
    ids = [o.id for o in options]

    def fail(message: str) -> None:
        fields.error("answer", message)

    if kind == "single":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return fail(f"the answer of a single question is one option id, got {value!r}")
        if str(value) not in ids:
            return fail(f"answer {value!r} is not among the options ({', '.join(ids)})")
        return str(value)
    if kind == "truefalse":
        if not isinstance(value, bool):
            return fail(f"the answer of a truefalse question is true or false, got {value!r}")
        return value
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return fail(f"the answer of a numeric question is a number, got {value!r}")
        return float(value)
    if not isinstance(value, list) or not value:
        return fail(f"the answer of a {kind} question is a list, got {value!r}")
    if any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in value):
        return fail("answers must be text (quote yes/no/true/false)")
    items = tuple(str(v).strip() for v in value)
    if kind == "text":
        if not all(items):
            return fail("accepted answers must not be empty")
        return items
    unknown = [i for i in items if i not in ids]
    if unknown:
        return fail(f"answer {', '.join(unknown)} is not among the options ({', '.join(ids)})")
    if len(set(items)) != len(items):
        return fail("the answer lists an option twice")
    if kind == "ordering" and len(items) != len(ids):
        missing = [i for i in ids if i not in items]
        return fail(f"an ordering answer lists every option once; missing {', '.join(missing)}")
    return items


def _patterns(fields: Fields) -> tuple[str, ...]:
    raw = fields.node.get("patterns")
    patterns = fields.strings("patterns")
    lines = raw.item_lines if isinstance(raw, Seq) else []
    good = []
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            line = lines[index] if index < len(lines) else fields.line("patterns")
            fields.problems.add(fields.path, line, f"pattern {pattern!r} does not compile: {error}")
            continue
        good.append(pattern)
    return tuple(good)
