"""The cue linter of `academy content check`: each threshold fails with the file and the line."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.config import ROOT
from app.content.cli import content as content_command
from app.content.errors import Problems
from app.content.questions import DrawRule, quiz_section
from app.content.quiz_lint import lint_quiz, lint_quizzes, quiz_lines
from tests.quizzes.conftest import build_catalog, quiz_settings

QUIZ = "curriculum/day-01-alpha/quiz.yaml"
# Four options of similar length; the key (b) is neither the longest nor far from the rest.
SINGLE = {
    "a": "Restart the web server now",
    "b": "Check the error log first",
    "c": "Ask the database admin",
    "d": "Open a ticket with hosting",
}
MULTI = {
    "a": "Nginx reverse proxy",
    "b": "PostgreSQL database",
    "c": "Redis cache server",
    "d": "Kafka message broker",
    "e": "Elasticsearch index",
}


def _question(
    qid: str,
    kind: str,
    answer: object,
    options: dict[str, str] | None = None,
    tags: tuple[str, ...] = ("alpha",),
    concept: str = "",
) -> str:
    lines = [f"  - id: {qid}", f"    type: {kind}", f"    prompt: Prompt of {qid}."]
    if options is not None:
        lines.append("    options:")
        for option_id, text in options.items():
            lines += [f"      - id: {option_id}", f"        text: {json.dumps(text)}"]
    lines.append(f"    answer: {json.dumps(answer)}")
    lines.append("    explanation: Why.")
    if concept:
        lines.append(f"    concept: {json.dumps(concept)}")
    lines.append(f"    tags: [{', '.join(tags)}]")
    return "\n".join(lines) + "\n"


def _clean() -> dict[str, str]:
    """Return the questions of a quiz that meets every threshold, by id."""
    questions = {f"s{n}": _question(f"s{n}", "single", "b", SINGLE) for n in range(1, 7)}
    for n, key in enumerate((True, False, True, False), start=1):
        questions[f"t{n}"] = _question(f"t{n}", "truefalse", key)
    for n, key in enumerate((["a", "b"], ["a", "b", "c"], ["c", "d"]), start=1):
        questions[f"m{n}"] = _question(f"m{n}", "multiple", key, MULTI)
    return questions


def _write(content_dir: Path, questions: dict[str, str], draw: str = "  - count: 4\n") -> str:
    text = (
        "id: alpha-quiz\ntitle: Alpha quiz\npass_mark: 60\nmax_attempts: 2\n"
        f"draw:\n{draw}questions:\n" + "".join(questions.values())
    )
    (content_dir / "day-01-alpha" / "quiz.yaml").write_text(text)
    return text


def _line(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def _problems(content_dir: Path) -> list[str]:
    catalog = build_catalog(content_dir)
    problems = Problems(content_dir.parent)
    lint_quizzes(catalog, quiz_settings(content_dir), problems)
    return [str(p) for p in problems.items if str(p.path) == QUIZ]


def test_a_quiz_without_cues_passes(content_dir):
    _write(content_dir, _clean())
    assert _problems(content_dir) == []


def test_single_choice_needs_four_options(content_dir):
    questions = _clean()
    questions["s2"] = _question("s2", "single", "b", {k: SINGLE[k] for k in "abc"})
    text = _write(content_dir, questions)
    line = _line(text, "  - id: s2")
    assert f"{QUIZ}:{line}: single-choice question s2 has 3 options; at least 4 are needed" in (
        _problems(content_dir)
    )


def test_the_key_may_be_the_longest_option_in_at_most_a_third_of_single_questions(content_dir):
    questions = _clean()
    for qid in ("s1", "s3", "s5"):  # a ties with d for the longest: ties count as longest
        questions[qid] = _question(qid, "single", "a", SINGLE)
    text = _write(content_dir, questions)
    where = ", ".join(f"{q} (line {_line(text, f'  - id: {q}')})" for q in ("s1", "s3", "s5"))
    assert (
        f"{QUIZ}:{_line(text, 'questions:')}: the right option is the longest (or tied) in 3 of 6 "
        f"single-choice questions (50%; at most 35%): {where}"
    ) in _problems(content_dir)


@pytest.mark.parametrize(
    ("key", "ratio"),
    [
        ("Check the error log first, then compare it with the deploy history", "2.68x"),
        ("Wait", "0.16x"),
    ],
)
def test_the_key_stays_within_half_and_one_and_a_half_times_the_distractors(
    content_dir, key, ratio
):
    questions = _clean()
    questions["s4"] = _question("s4", "single", "b", {**SINGLE, "b": key})
    text = _write(content_dir, questions)
    found = [p for p in _problems(content_dir) if "the right option of s4" in p]
    assert len(found) == 1
    assert found[0].startswith(f"{QUIZ}:{_line(text, '  - id: s4')}: the right option of s4 is ")
    assert f"{ratio} the mean length of its distractors" in found[0]
    assert "keep it within 0.5x-1.5x" in found[0]


def test_true_false_keys_are_balanced(content_dir):
    questions = _clean()
    for n in range(1, 5):
        questions[f"t{n}"] = _question(f"t{n}", "truefalse", False)
    text = _write(content_dir, questions)
    assert (
        f"{QUIZ}:{_line(text, 'questions:')}: 0 of 4 true/false keys are true (0%); "
        "keep the share of true between 40% and 60%"
    ) in _problems(content_dir)
    # Fewer than four: the counts may differ by one at most.
    for n in (3, 4):
        del questions[f"t{n}"]
    questions["s7"] = _question("s7", "single", "b", SINGLE)
    questions["s8"] = _question("s8", "single", "b", SINGLE)
    _write(content_dir, questions)
    assert (
        f"{QUIZ}:{_line(text, 'questions:')}: true/false keys are 0 true and 2 false; with fewer "
        "than 4 such questions they may differ by at most 1"
    ) in _problems(content_dir)


def test_multiple_select_cues(content_dir):
    questions = _clean()
    questions["m1"] = _question("m1", "multiple", list("abcde"), MULTI)
    longer = {**MULTI, "c": "Redis cache server holding sessions and queues", "d": "Kafka"}
    questions["m3"] = _question("m3", "multiple", ["c", "b"], longer)
    text = _write(content_dir, questions)
    found = _problems(content_dir)
    answer_line = _line(text, "    answer:", after="  - id: m1")
    assert (
        f"{QUIZ}:{answer_line}: every option of multiple-select question m1 is right; add at "
        "least one wrong option"
    ) in found
    ratio = [p for p in found if "right options of multiple-select questions average" in p]
    assert len(ratio) == 1
    assert ratio[0].startswith(f"{QUIZ}:{_line(text, 'questions:')}: ")
    assert "keep it within 0.8-1.25" in ratio[0]


def test_multiple_select_right_counts_must_vary(content_dir):
    questions = _clean()
    for n in (1, 2, 3):
        questions[f"m{n}"] = _question(f"m{n}", "multiple", ["a", "c"], MULTI)
    text = _write(content_dir, questions)
    where = ", ".join(f"m{n} (line {_line(text, f'  - id: m{n}')})" for n in (1, 2, 3))
    assert (
        f"{QUIZ}:{_line(text, 'questions:')}: every multiple-select question has exactly 2 right "
        f"options; vary the number: {where}"
    ) in _problems(content_dir)


@pytest.mark.parametrize(
    "catch_all", ["All of the above", "none of these", "Both A and B", "a and c", "Neither b nor d"]
)
def test_catch_all_options_are_refused(content_dir, catch_all):
    questions = _clean()
    questions["s2"] = _question("s2", "single", "b", {**SINGLE, "d": catch_all})
    text = _write(content_dir, questions)
    line = _line(text, "      - id: d", after="  - id: s2")
    assert (
        f"{QUIZ}:{line}: option d of s2 is a catch-all ({catch_all!r}); write a real option instead"
    ) in _problems(content_dir)


@pytest.mark.parametrize("twin", ["check the Error log first.", "Check the error logs first"])
def test_near_duplicate_options_are_refused(content_dir, twin):
    questions = _clean()
    questions["s3"] = _question("s3", "single", "b", {**SINGLE, "c": twin})
    text = _write(content_dir, questions)
    line = _line(text, "      - id: c", after="  - id: s3")
    assert (
        f"{QUIZ}:{line}: options b and c of s3 are (nearly) the same: they differ only in case, "
        "spacing, punctuation or a plural ending"
    ) in _problems(content_dir)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("cp /archive/%f %p", "cp %p /archive/%f", False),
        ("cp /archive/%f %p", "mv /archive/%f %p", False),
        ("warn at 80 %", "warn at 90 %", False),
        ("restart nginx", "reload nginx", False),
        ("reload nginx.", "reload  nginx", True),
        ("the error log", "the error logs", True),
        ("the server's log", "the servers log", True),
    ],
)
def test_only_trivial_differences_make_near_duplicates(first, second, same):
    from app.content.quiz_lint import near_duplicate, normalised

    assert near_duplicate(normalised(first), normalised(second)) is same


def test_a_concept_must_not_quote_the_key(content_dir):
    questions = _clean()
    hint = "Before acting: check the error log first."
    questions["s1"] = _question("s1", "single", "b", SINGLE, concept=hint)
    questions["s2"] = _question("s2", "single", "b", SINGLE, concept="Where errors are written.")
    text = _write(content_dir, questions)
    line = _line(text, "    concept:", after="  - id: s1")
    assert _problems(content_dir) == [
        f"{QUIZ}:{line}: the concept of s1 quotes its right option b; a concept names the idea, "
        "never the answer"
    ]


def test_the_bank_holds_three_papers_and_each_pool_three_times_its_count(content_dir):
    questions = _clean()
    for qid in ("s1", "s2"):
        questions[qid] = _question(qid, "single", "b", SINGLE, tags=("alpha", "pair"))
    questions["s3"] = _question("s3", "single", "b", SINGLE, tags=("alpha", "solo"))
    draw = (
        "  - tag: pair\n    count: 2\n  - tag: solo\n    count: 1\n  - tag: alpha\n    count: 2\n"
    )
    text = _write(content_dir, questions, draw)
    found = _problems(content_dir)
    assert (
        f"{QUIZ}:{_line(text, 'questions:')}: the bank holds 13 questions for a paper of 5; "
        "a day's quiz needs at least 3x the paper (15) so that a retake meets new questions"
    ) in found
    # `pair` holds exactly its count (always drawn) and `solo` too; `alpha` is large enough.
    assert not [p for p in found if "draw rule" in p]

    draw = "  - tag: pair\n    count: 1\n  - count: 3\n"
    text = _write(content_dir, questions, draw)
    assert (
        f"{QUIZ}:{_line(text, '  - tag: pair')}: draw rule takes 1 question(s) tagged 'pair', "
        "a pool of 2; the pool needs at least 3x the count (3), or exactly the count to draw "
        "them all every time"
    ) in _problems(content_dir)


def test_the_final_assessment_needs_two_and_a_half_papers(content_dir):
    _write(content_dir, _clean())
    day_quiz = quiz_section(build_catalog(content_dir)).quizzes["alpha-quiz"]
    lines = quiz_lines(day_quiz.path)
    five = replace(day_quiz, draw=(DrawRule(None, 5),))
    assert any("needs at least 3x the paper (15)" in m for _, m in lint_quiz(five, lines))
    final = replace(five, day_id=None)
    assert lint_quiz(final, lines) == []
    six = replace(final, draw=(DrawRule(None, 6),))
    assert [m for _, m in lint_quiz(six, lines) if "bank holds" in m] == [
        "the bank holds 13 questions for a paper of 6; the final assessment needs at least "
        "2.5x the paper (15) so that a retake meets new questions"
    ]


def test_content_check_reports_cues_with_file_and_line(tmp_path, monkeypatch):
    target = tmp_path / "curriculum"
    shutil.copytree(ROOT / "curriculum", target)
    monkeypatch.setenv("ACADEMY_CONTENT_DIR", str(target))
    monkeypatch.setenv("ACADEMY_LABS_DIR", str(ROOT / "labs"))
    day_quiz = next(target.glob("day-01-*/quiz.yaml"))
    text = day_quiz.read_text()
    extra = _question("lint-probe", "single", "a", {**SINGLE, "c": "None of the above"})
    day_quiz.write_text(text.rstrip("\n") + "\n\n" + extra)
    line = len((text.rstrip("\n") + "\n\n").splitlines()) + 1 + 8
    result = CliRunner().invoke(content_command, ["check"])
    assert result.exit_code == 1
    shown = f"curriculum/{day_quiz.parent.name}/quiz.yaml"
    assert (
        f"{shown}:{line}: option c of lint-probe is a catch-all ('None of the above')"
    ) in result.output
