"""Cue linting: quizzes whose form gives the answer away fail `academy content check`.

A test-wise trainee who knows nothing still passes a quiz whose right option is usually the
longest, whose true/false keys are mostly false, or whose bank is so small that a retake shows
the same questions. Each threshold below is documented in docs/authoring.md ("Quizzes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING

from app.content.errors import Problems
from app.content.questions import Question, Quiz, quiz_section
from app.content.yamlfile import Node, Seq, read

if TYPE_CHECKING:
    from app.config import Settings
    from app.content.catalog import Catalog

MIN_SINGLE_OPTIONS = 4
MAX_LONGEST_KEY_SHARE = 0.35  # of a quiz's single-choice questions; ties count as longest
MAX_KEY_LENGTH_RATIO = 1.5  # key length / mean distractor length, per single question
MIN_KEY_LENGTH_RATIO = 0.5
TRUEFALSE_SHARE_FROM = 4  # true/false questions in a quiz from which the share rule applies
TRUE_SHARE_RANGE = (0.40, 0.60)
MAX_TRUEFALSE_IMBALANCE = 1  # |true - false| below TRUEFALSE_SHARE_FROM questions
MULTIPLE_LENGTH_RATIO_RANGE = (0.80, 1.25)  # mean right / mean wrong option length, per quiz
SAME_RIGHT_COUNT_FROM = 3  # multiple questions from which their right-option counts must vary
# Two options are near-duplicates when, past their common beginning and end, what differs is
# only punctuation, spacing or a plural ending: "error log" and "error logs" say the same thing;
# "cp %p %f" and "cp %f %p", or "cp" and "mv", are the distinctions a question may turn on.
TRIVIAL_ENDINGS = ("", "s", "es", "'s")
CONCEPT_QUOTE_MIN_LENGTH = 10  # a concept quoting a right option this long gives it away
DAY_BANK_MULTIPLE = 3.0  # bank size / paper size, and pool size / count per draw rule
FINAL_BANK_MULTIPLE = 2.5
CATCH_ALL = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|below|these|those|them)\b"
    r"|\b(all|none)\s+(the\s+)?above\b"
    r"|\bboth\s+\(?[a-f]\)?\s+and\s+\(?[a-f]\)?(?!\w)"
    r"|\bneither\s+\(?[a-f]\)?\s+nor\s+\(?[a-f]\)?(?!\w)"
    r"|^\(?[a-f]\)?\s*(,\s*\(?[a-f]\)?\s*)*(and|&|or)\s+\(?[a-f]\)?$",
    re.IGNORECASE,
)


def text_length(text: str) -> int:
    """Return an option's visible length: Markdown backticks dropped, spaces collapsed."""
    return len(" ".join(text.replace("`", "").split()))


def normalised(text: str) -> str:
    """Return option text folded for comparison: case, spacing, backticks, end punctuation."""
    return " ".join(text.replace("`", "").split()).casefold().rstrip(".;:!?")


def near_duplicate(first: str, second: str) -> bool:
    """Tell whether two normalised option texts differ only trivially (see TRIVIAL_ENDINGS)."""
    if first == second:
        return True
    prefix = _shared(first, second)
    rest_a, rest_b = first[prefix:], second[prefix:]
    suffix = _shared(rest_a[::-1], rest_b[::-1])
    mid_a = re.sub(r"[\W_]+", "", rest_a[: len(rest_a) - suffix])
    mid_b = re.sub(r"[\W_]+", "", rest_b[: len(rest_b) - suffix])
    return {mid_a, mid_b} <= set(TRIVIAL_ENDINGS) and "" in {mid_a, mid_b}


def _shared(first: str, second: str) -> int:
    """Return how many leading characters two texts share."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count


@dataclass
class Lines:
    """Where a quiz's parts are in its file."""

    questions: int = 1
    draw: list[int] = field(default_factory=list)
    question: dict[str, int] = field(default_factory=dict)
    answer: dict[str, int] = field(default_factory=dict)
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    concept: dict[str, int] = field(default_factory=dict)


def quiz_lines(path: Path) -> Lines:
    """Read a quiz file again for the line of every question, answer and option."""
    node = read(path, Problems(path.parent))  # the loader has reported any problem already
    lines = Lines()
    if not isinstance(node, Node):
        return lines
    lines.questions = node.line_of("questions")
    draw = node.get("draw")
    lines.draw = list(draw.item_lines) if isinstance(draw, Seq) else []
    items = node.get("questions")
    if not isinstance(items, Seq):
        return lines
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, Node) or not isinstance(item.get("id"), str):
            continue
        qid = item["id"]
        lines.question[qid] = line
        lines.answer[qid] = item.line_of("answer")
        lines.concept[qid] = item.line_of("concept")
        options = item.get("options")
        where: dict[str, int] = {}
        if isinstance(options, Seq):
            for option, option_line in zip(options, options.item_lines, strict=True):
                if isinstance(option, Node) and "id" in option:
                    where[str(option["id"]).strip()] = option_line
        lines.options[qid] = where
    return lines


def lint_quizzes(catalog: Catalog, settings: Settings, problems: Problems) -> None:
    """Check every loaded quiz against the cue thresholds, with file and line."""
    for quiz in quiz_section(catalog).quizzes.values():
        for line, message in lint_quiz(quiz, quiz_lines(quiz.path)):
            problems.add(quiz.path, line, message)


def lint_quiz(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    """Return (line, message) for every threshold the quiz breaks."""
    found: list[tuple[int, str]] = []
    for check in (_single, _truefalse, _multiple, _options, _concepts, _bank):
        found.extend(check(quiz, lines))
    return sorted(found)


def _where(lines: Lines, question: Question) -> str:
    return f"{question.id} (line {lines.question.get(question.id, lines.questions)})"


def _single(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    found = []
    singles = [q for q in quiz.questions if q.type == "single"]
    longest = []
    for q in singles:
        line = lines.question.get(q.id, lines.questions)
        if len(q.options) < MIN_SINGLE_OPTIONS:
            found.append(
                (
                    line,
                    f"single-choice question {q.id} has {len(q.options)} options; "
                    f"at least {MIN_SINGLE_OPTIONS} are needed",
                )
            )
        key = next((o for o in q.options if o.id == q.answer), None)
        distractors = [text_length(o.text) for o in q.options if o.id != q.answer]
        if key is None or not distractors:
            continue
        length = text_length(key.text)
        if length >= max(distractors):
            longest.append(q)
        ratio = length / max(mean(distractors), 1)
        if not MIN_KEY_LENGTH_RATIO <= ratio <= MAX_KEY_LENGTH_RATIO:
            found.append(
                (
                    line,
                    f"the right option of {q.id} is {ratio:.2f}x the mean length of its "
                    f"distractors ({length} vs {mean(distractors):.1f} characters); keep it "
                    f"within {MIN_KEY_LENGTH_RATIO}x-{MAX_KEY_LENGTH_RATIO}x",
                )
            )
    if singles and len(longest) / len(singles) > MAX_LONGEST_KEY_SHARE:
        which = ", ".join(_where(lines, q) for q in longest)
        found.append(
            (
                lines.questions,
                f"the right option is the longest (or tied) in {len(longest)} of {len(singles)} "
                f"single-choice questions ({len(longest) / len(singles):.0%}; at most "
                f"{MAX_LONGEST_KEY_SHARE:.0%}): {which}",
            )
        )
    return found


def _truefalse(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    keys = [q.answer for q in quiz.questions if q.type == "truefalse"]
    true, false = sum(1 for k in keys if k), sum(1 for k in keys if not k)
    low, high = TRUE_SHARE_RANGE
    if len(keys) >= TRUEFALSE_SHARE_FROM:
        if not low <= true / len(keys) <= high:
            return [
                (
                    lines.questions,
                    f"{true} of {len(keys)} true/false keys are true ({true / len(keys):.0%}); "
                    f"keep the share of true between {low:.0%} and {high:.0%}",
                )
            ]
    elif abs(true - false) > MAX_TRUEFALSE_IMBALANCE:
        return [
            (
                lines.questions,
                f"true/false keys are {true} true and {false} false; with fewer than "
                f"{TRUEFALSE_SHARE_FROM} such questions they may differ by at most "
                f"{MAX_TRUEFALSE_IMBALANCE}",
            )
        ]
    return []


def _multiple(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    found = []
    multiples = [q for q in quiz.questions if q.type == "multiple"]
    right: list[int] = []
    wrong: list[int] = []
    for q in multiples:
        keys = set(q.answer)
        right.extend(text_length(o.text) for o in q.options if o.id in keys)
        wrong.extend(text_length(o.text) for o in q.options if o.id not in keys)
        if keys >= set(q.option_ids):
            found.append(
                (
                    lines.answer.get(q.id, lines.questions),
                    f"every option of multiple-select question {q.id} is right; "
                    "add at least one wrong option",
                )
            )
    low, high = MULTIPLE_LENGTH_RATIO_RANGE
    if right and wrong:
        ratio = mean(right) / max(mean(wrong), 1)
        if not low <= ratio <= high:
            found.append(
                (
                    lines.questions,
                    f"right options of multiple-select questions average {mean(right):.1f} "
                    f"characters and wrong ones {mean(wrong):.1f} (ratio {ratio:.2f}; keep it "
                    f"within {low}-{high})",
                )
            )
    counts = {len(q.answer) for q in multiples}
    if len(multiples) >= SAME_RIGHT_COUNT_FROM and len(counts) == 1:
        which = ", ".join(_where(lines, q) for q in multiples)
        found.append(
            (
                lines.questions,
                f"every multiple-select question has exactly {counts.pop()} right options; "
                f"vary the number: {which}",
            )
        )
    return found


def _options(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    found = []
    for q in quiz.questions:
        where = lines.options.get(q.id, {})
        fallback = lines.question.get(q.id, lines.questions)
        texts: list[tuple[str, str]] = []
        for option in q.options:
            line = where.get(option.id, fallback)
            if CATCH_ALL.search(" ".join(option.text.replace("`", "").split())):
                found.append(
                    (
                        line,
                        f"option {option.id} of {q.id} is a catch-all ({option.text.strip()!r}); "
                        "write a real option instead",
                    )
                )
            text = normalised(option.text)
            for other_id, other in texts:
                if near_duplicate(other, text):
                    found.append(
                        (
                            line,
                            f"options {other_id} and {option.id} of {q.id} are (nearly) the same: "
                            "they differ only in case, spacing, punctuation or a plural ending",
                        )
                    )
                    break
            texts.append((option.id, text))
    return found


def _concepts(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    found = []
    for q in quiz.questions:
        if not q.concept or q.type not in ("single", "multiple"):
            continue
        keys = {q.answer} if q.type == "single" else set(q.answer)
        concept = normalised(q.concept)
        for option in q.options:
            text = normalised(option.text)
            if option.id in keys and len(text) >= CONCEPT_QUOTE_MIN_LENGTH and text in concept:
                found.append(
                    (
                        lines.concept.get(q.id, lines.questions),
                        f"the concept of {q.id} quotes its right option {option.id}; a concept "
                        "names the idea, never the answer",
                    )
                )
    return found


def bank_multiple(quiz: Quiz) -> float:
    """Return how many times the paper size the bank (and each draw pool) must hold."""
    return FINAL_BANK_MULTIPLE if quiz.is_assessment else DAY_BANK_MULTIPLE


def _bank(quiz: Quiz, lines: Lines) -> list[tuple[int, str]]:
    found = []
    need = bank_multiple(quiz)
    what = "the final assessment" if quiz.is_assessment else "a day's quiz"
    size, paper = len(quiz.questions), quiz.paper_size
    if size < need * paper:
        found.append(
            (
                lines.questions,
                f"the bank holds {size} questions for a paper of {paper}; {what} needs at least "
                f"{need:g}x the paper ({_ceil(need * paper)}) so that a retake meets new questions",
            )
        )
    drawn_before = 0
    for index, rule in enumerate(quiz.draw):
        if rule.tag is None:
            pool = size - drawn_before
        else:
            pool = sum(1 for q in quiz.questions if rule.tag in q.tags)
        drawn_before += rule.count
        if pool == rule.count or pool >= need * rule.count:
            continue  # a pool the size of its count is drawn in full on purpose, every time
        line = lines.draw[index] if index < len(lines.draw) else lines.questions
        label = f"tagged {rule.tag!r}" if rule.tag else "from the rest of the bank"
        found.append(
            (
                line,
                f"draw rule takes {rule.count} question(s) {label}, a pool of {pool}; "
                f"the pool needs at least {need:g}x the count ({_ceil(need * rule.count)}), "
                "or exactly the count to draw them all every time",
            )
        )
    return found


def _ceil(value: float) -> int:
    return int(-(-value // 1))
