"""The content loader: the real curriculum loads, and bad files name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.config import ROOT, Settings
from app.content import ContentError, load_catalog
from app.content.cli import content as content_command
from app.content.markdown_render import render_markdown


def _settings(content_dir: Path) -> Settings:
    return Settings.from_env({"ACADEMY_ENV": "test"}).replace(content_dir=content_dir)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "curriculum"
    shutil.copytree(ROOT / "curriculum", target)
    return target


def test_the_real_curriculum_loads_with_ten_days():
    catalog = load_catalog(_settings(ROOT / "curriculum"))
    assert [d.number for d in catalog.days] == list(range(1, 11))
    assert all(day.lessons for day in catalog.days)
    assert all(day.topics for day in catalog.days)
    assert len(catalog.version) == 12


def test_content_check_command_passes_on_the_real_curriculum():
    result = CliRunner().invoke(content_command, ["check"])
    assert result.exit_code == 0, result.output
    assert "content OK" in result.output


def test_an_edit_changes_the_content_version(content_copy):
    before = load_catalog(_settings(content_copy)).version
    lesson = next(content_copy.glob("day-01-*/*.md"))
    lesson.write_text(lesson.read_text() + "\nOne more sentence.\n")
    assert load_catalog(_settings(content_copy)).version != before


def test_broken_yaml_names_file_and_line(content_copy):
    day = content_copy / "day-02-deployment" / "day.yaml"
    lines = day.read_text().splitlines()
    lines.insert(3, "title: [unclosed")
    day.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as error:
        load_catalog(_settings(content_copy))
    text = str(error.value)
    assert "day-02-deployment/day.yaml:" in text
    assert "invalid YAML" in text


def test_unknown_key_and_wrong_type_name_their_lines(content_copy):
    day = content_copy / "day-03-database" / "day.yaml"
    text = day.read_text()
    day.write_text(text + "colour: blue\n")
    number_line = next(
        i for i, line in enumerate(text.splitlines(), 1) if line.startswith("number:")
    )
    day.write_text(day.read_text().replace("number: 3", "number: three"))
    with pytest.raises(ContentError) as error:
        load_catalog(_settings(content_copy))
    messages = [str(p) for p in error.value.problems]
    last_line = len(day.read_text().splitlines())
    assert any(
        m.startswith(f"curriculum/day-03-database/day.yaml:{last_line}: unknown key 'colour'")
        for m in messages
    ), messages
    assert any(
        m.startswith(f"curriculum/day-03-database/day.yaml:{number_line}: 'number' must be")
        for m in messages
    ), messages


def test_lesson_front_matter_errors_name_the_line(content_copy):
    lesson = sorted((content_copy / "day-01-infrastructure").glob("*.md"))[0]
    body = lesson.read_text().splitlines()
    duration_line = next(i for i, line in enumerate(body, 1) if line.startswith("duration:"))
    body[duration_line - 1] = "duration: forever"
    lesson.write_text("\n".join(body) + "\n")
    with pytest.raises(ContentError) as error:
        load_catalog(_settings(content_copy))
    assert f"{lesson.name}:{duration_line}: 'duration' must be a whole number" in str(error.value)


def test_duplicate_lesson_ids_are_refused(content_copy):
    folder = content_copy / "day-01-infrastructure"
    first = sorted(folder.glob("*.md"))[0]
    shutil.copy(first, folder / "99-copy.md")
    with pytest.raises(ContentError, match="is also used by"):
        load_catalog(_settings(content_copy))


def test_content_check_exits_non_zero_on_errors(content_copy, monkeypatch):
    (content_copy / "programme.yaml").write_text("id: x\ntitle: t\ndays: [missing-day]\n")
    monkeypatch.setenv("ACADEMY_CONTENT_DIR", str(content_copy))
    result = CliRunner().invoke(content_command, ["check"])
    assert result.exit_code == 1
    assert "programme.yaml:3: day folder 'missing-day' has no day.yaml" in result.output


def test_markdown_renders_tables_code_and_admonitions_and_strips_scripts():
    html = render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```bash\necho hi\n```\n\n"
        '!!! warning "Careful"\n    Body text.\n\n<script>alert(1)</script>\n'
        '<a href="javascript:alert(1)" onclick="x()">link</a>\n'
    )
    assert "<table>" in html
    assert 'class="highlight"' in html
    assert 'class="admonition warning"' in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
