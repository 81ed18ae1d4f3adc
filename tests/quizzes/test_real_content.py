"""The real curriculum's quizzes: `academy content check` passes, errors name file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.config import ROOT
from app.content.cli import content as content_command
from app.content.quizzes import quiz_section
from tests.quizzes.conftest import build_catalog


def test_content_check_passes_on_the_real_curriculum():
    result = CliRunner().invoke(content_command, ["check"])
    assert result.exit_code == 0, result.output
    assert "content OK" in result.output


def test_every_day_has_a_quiz_and_the_assessment_draws_forty():
    catalog = build_catalog(ROOT / "curriculum")
    section = quiz_section(catalog)
    for day in catalog.days:
        quiz = section.for_day(day.id)
        assert quiz is not None, f"{day.id} has no quiz"
        assert len(quiz.questions) >= 12, f"{day.id} has {len(quiz.questions)} questions"
    assert section.assessment is not None
    assert section.assessment.paper_size >= 40


@pytest.fixture
def curriculum_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(ROOT / "curriculum", target)
    monkeypatch.setenv("ACADEMY_CONTENT_DIR", str(target))
    monkeypatch.setenv("ACADEMY_LABS_DIR", str(ROOT / "labs"))
    return target


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def test_malformed_quiz_files_give_file_and_line_errors(curriculum_copy):
    day_quiz = next(curriculum_copy.glob("day-01-*/quiz.yaml"))
    first_answer = next(
        line for line in day_quiz.read_text().splitlines() if line.startswith("    answer: ")
    )
    pass_line = _break(day_quiz, "pass_mark: ", "pass_mark: 101\nold_pass_mark: ")
    answer_line = _break(day_quiz, first_answer + "\n", "    answer: no-such-option\n")
    assessment = curriculum_copy / "assessment" / "assessment.yaml"
    draw_line = _break(assessment, "  - count: ", "  - count: 9999\n    tag: ")

    result = CliRunner().invoke(content_command, ["check"])
    assert result.exit_code == 1
    output = result.output
    shown = f"curriculum/{day_quiz.parent.name}/quiz.yaml"
    assert f"{shown}:{answer_line}: answer 'no-such-option' is not among the options" in output
    assert f"{shown}:{pass_line}: pass_mark must be between 0 and 100, got 101" in output
    assert f"{shown}:{pass_line + 1}: unknown key 'old_pass_mark' in quiz" in output
    assert f"curriculum/assessment/assessment.yaml:{draw_line}: draw rule asks for 9999" in output


def test_content_stats_counts_questions_per_day(curriculum_copy):
    result = CliRunner().invoke(content_command, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    catalog = build_catalog(curriculum_copy)
    section = quiz_section(catalog)
    for day in catalog.days:
        row = figures[day.id]
        assert set(row) >= {"lessons", "words", "questions"}
        quiz = section.for_day(day.id)
        assert row["questions"] == (len(quiz.questions) if quiz else 0)
    assert figures["assessment_questions"] == len(section.assessment.questions)
    table = CliRunner().invoke(content_command, ["stats"])
    assert "questions" in table.output.splitlines()[0]
    assert "assessment_questions: " in table.output
