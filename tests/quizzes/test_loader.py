"""The quiz loader: the format of docs/authoring.md, validated with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content.errors import ContentError
from app.content.quizzes import quiz_section
from tests.quizzes.conftest import build_catalog


def test_fixture_programme_loads_every_question_type(catalog):
    section = quiz_section(catalog)
    assert section.by_day == {"day-01": "alpha-quiz"}
    assert section.assessment_id == "final-assessment"
    alpha = section.quizzes["alpha-quiz"]
    assert [q.type for q in alpha.questions] == [
        "single",
        "multiple",
        "truefalse",
        "ordering",
        "text",
        "numeric",
        "numeric",
    ]
    assert alpha.paper_size == 7
    assert section.assessment is not None
    assert section.assessment.paper_size == 3
    assert alpha.question("a-tf").answer is False
    assert alpha.question("a-multi").answer == ("a", "b", "c")
    assert alpha.question("a-float").tolerance == 0.25
    # Unquoted numbers as option text are text.
    assert alpha.question("a-single").option("a").text == "443"


def test_version_changes_with_any_edit_and_not_with_layout(content_dir):
    before = quiz_section(build_catalog(content_dir)).question("a-single")
    quiz = content_dir / "day-01-alpha" / "quiz.yaml"
    text = quiz.read_text()
    # Flow style instead of block style: same definition, same version.
    quiz.write_text(text.replace("tags: [alpha, ports]", "tags:\n      - alpha\n      - ports", 1))
    assert quiz_section(build_catalog(content_dir)).question("a-single").version == before.version
    quiz.write_text(text.replace("The `.env` file says 5000.", "The `.env` file says 5000!"))
    after = quiz_section(build_catalog(content_dir)).question("a-single")
    assert after.version != before.version


def _problems(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as error:
        build_catalog(content_dir)
    return [str(p) for p in error.value.problems]


def _edit(path: Path, old: str, new: str) -> int:
    """Replace text once and return the number of the first line that differs."""
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    for before, after in zip(old.splitlines(), new.splitlines(), strict=False):
        if before != after:
            break
        line += 1
    path.write_text(text.replace(old, new, 1))
    return line


ALPHA = "curriculum/day-01-alpha/quiz.yaml"
FINAL = "curriculum/assessment/assessment.yaml"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    answer: b\n", "    answer: z\n", "answer 'z' is not among the options (a, b, c)"),
        ("    answer: [a, b, c]\n", "    answer: [a, x]\n", "answer x is not among the options"),
        (
            "    answer: [backup, edit, test, reload]\n",
            "    answer: [backup, edit, test]\n",
            "an ordering answer lists every option once; missing reload",
        ),
        (
            "    answer: [backup, edit, test, reload]\n",
            "    answer: [backup, edit, test, test]\n",
            "the answer lists an option twice",
        ),
        ("    tolerance: 0.25\n", "    tolerance: -1\n", "tolerance must be 0 or more"),
        (
            "    patterns: ['postgre(s|sql)( ?1[0-9])?']\n",
            "    patterns: ['postgre(s|sql']\n",
            "pattern 'postgre(s|sql' does not compile",
        ),
        ("    answer: false\n", "    answer: nope\n", "is true or false"),
        ("    answer: 5000\n", "    answer: five thousand\n", "is a number"),
        ("    type: single\n", "    type: essay\n", "type must be one of"),
        (
            "    tags: [alpha, redis]\n",
            "    tags: [alpha, redis]\n    colour: red\n",
            "unknown key 'colour'",
        ),
        (
            "    answer: 5000\n",
            "    answer: 5000\n    patterns: ['5000']\n",
            "unknown key 'patterns'",
        ),
        (
            "      - {id: e, text: Elasticsearch}\n",
            "      - {id: a, text: Elasticsearch}\n",
            "option id 'a' is used twice",
        ),
    ],
)
def test_question_errors_name_file_and_line(content_dir, old, new, message):
    line = _edit(content_dir / "day-01-alpha" / "quiz.yaml", old, new)
    problems = _problems(content_dir)
    assert any(p.startswith(f"{ALPHA}:{line}: ") and message in p for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("pass_mark: 60\n", "pass_mark: 120\n", "pass_mark must be between 0 and 100, got 120"),
        ("pass_mark: 60\n", "pass_mark: -1\n", "pass_mark must be between 0 and 100"),
        ("max_attempts: 2\n", "max_attempts: -2\n", "max_attempts must be 0 or more"),
        (
            "review: answers\n",
            "review: everything\n",
            "review must be one of score, wrong, answers",
        ),
        ("max_attempts: 2\n", "max_attempts: yes\n", "'max_attempts' must be a whole number"),
    ],
)
def test_quiz_errors_name_file_and_line(content_dir, old, new, message):
    line = _edit(content_dir / "day-01-alpha" / "quiz.yaml", old, new)
    problems = _problems(content_dir)
    assert any(p.startswith(f"{ALPHA}:{line}: ") and message in p for p in problems), problems


def test_question_ids_are_unique_across_quizzes(content_dir):
    line = _edit(
        content_dir / "assessment" / "assessment.yaml", "  - id: f-general-2\n", "  - id: a-num\n"
    )
    problems = _problems(content_dir)
    expected = f"{FINAL}:{line}: question id 'a-num' is also used at quiz.yaml:"
    assert any(p.startswith(expected) for p in problems), problems


def test_quiz_ids_are_unique(content_dir):
    _edit(
        content_dir / "assessment" / "assessment.yaml", "id: final-assessment\n", "id: alpha-quiz\n"
    )
    problems = _problems(content_dir)
    assert f"{FINAL}:1: quiz id 'alpha-quiz' is also used by quiz.yaml" in problems


def test_draw_rule_asking_for_more_than_the_bank_has(content_dir):
    final = content_dir / "assessment" / "assessment.yaml"
    _edit(final, "  - tag: scenario\n    count: 2\n", "  - tag: scenario\n    count: 4\n")
    line = final.read_text().splitlines().index("  - tag: scenario") + 1
    problems = _problems(content_dir)
    assert any(
        p.startswith(
            f"{FINAL}:{line}: draw rule asks for 4 question(s) tagged 'scenario' but only 3"
        )
        for p in problems
    ), problems


def test_draw_rules_must_hold_whatever_earlier_rules_took(content_dir):
    # Three questions carry `scenario`; `final` is on all five. Taking three of `final` first
    # may take every scenario question, so the second rule cannot be sure of two.
    final = content_dir / "assessment" / "assessment.yaml"
    _edit(
        final,
        "  - tag: scenario\n    count: 2\n  - count: 1\n",
        "  - tag: final\n    count: 3\n  - tag: scenario\n    count: 2\n",
    )
    line = final.read_text().splitlines().index("  - tag: scenario") + 1
    problems = _problems(content_dir)
    assert any(
        p.startswith(f"{FINAL}:{line}: draw rule asks for 2 question(s) tagged 'scenario'")
        for p in problems
    ), problems


def test_draw_from_the_rest_counts_what_tagged_rules_took(content_dir):
    line = _edit(content_dir / "assessment" / "assessment.yaml", "  - count: 1\n", "  - count: 4\n")
    problems = _problems(content_dir)
    assert any(
        p.startswith(
            f"{FINAL}:{line}: draw rule asks for 4 question(s) from the rest of the bank but only 3"
        )
        for p in problems
    ), problems


def test_missing_assessment_is_an_error(content_dir):
    (content_dir / "assessment" / "assessment.yaml").unlink()
    assert any("the final assessment is missing" in p for p in _problems(content_dir))


def test_a_day_may_have_no_quiz(catalog):
    assert quiz_section(catalog).for_day("day-02") is None


def test_yaml_syntax_error_names_the_line(content_dir):
    line = _edit(
        content_dir / "day-01-alpha" / "quiz.yaml", "title: Alpha quiz\n", "title: [Alpha quiz\n"
    )
    problems = _problems(content_dir)
    assert any(p.startswith(f"{ALPHA}:") and "invalid YAML" in p for p in problems), problems
    assert line == 2
