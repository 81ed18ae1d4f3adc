"""The sign-off rules and the acknowledgment are content: parsed, typed, errors with file:line."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from app.certification.rules import SignoffRules, rules_of
from app.config import ROOT, Settings
from app.content.catalog import load_catalog
from app.content.errors import ContentError


def test_the_programme_carries_the_guides_checklist(catalog):
    rules = rules_of(catalog)
    assert isinstance(rules, SignoffRules)
    kinds = {item.id: item.kind for item in rules.items}
    assert kinds == {
        "days": "days",
        "assessment": "assessment",
        "practical-tasks": "labs",
        "practical-exam": "exam",
        "shadow-shifts": "attestation",
        "incident-responses": "attestation",
        "acknowledgment": "acknowledgment",
    }
    assert rules.item("days").day_ids == tuple(day.id for day in catalog.days)
    assert len(rules.item("days").day_ids) == 10
    assert rules.lab_slugs == (
        "deploy-staging",
        "backup-verify",
        "restore-staging",
        "outage-502",
        "security-alert",
        "slow-query",
        "peak-load",
        "disaster-recovery",
    )
    assert rules.item("practical-exam").lab_slugs == ("practical-exam",)
    assert catalog.sections["labs"]["practical-exam"].is_exam
    assert (rules.item("shadow-shifts").attestation, rules.item("shadow-shifts").count) == (
        "shadow_shift",
        2,
    )
    assert (
        rules.item("incident-responses").attestation,
        rules.item("incident-responses").count,
    ) == (
        "incident_response",
        3,
    )
    assert rules.validity_months == 12
    assert rules.issuer.name
    assert rules.badge.name
    assert rules.badge.criteria


def test_the_acknowledgment_is_versioned_by_its_text(catalog):
    ack = rules_of(catalog).acknowledgment
    assert ack is not None
    assert ack.id == "training-acknowledgment"
    assert ack.version
    text = (ROOT / "curriculum" / "acknowledgment.md").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2].strip() + "\n"
    assert ack.sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert "<h1" in ack.html


@pytest.fixture
def content(tmp_path: Path, app) -> tuple[Path, Settings]:
    """A private copy of the curriculum to break."""
    folder = tmp_path / "curriculum"
    shutil.copytree(ROOT / "curriculum", folder)
    settings = app.config["ACADEMY"].replace(content_dir=folder)
    return folder, settings


def _problems(settings: Settings) -> list[str]:
    with pytest.raises(ContentError) as error:
        load_catalog(settings)
    return [str(p) for p in error.value.problems]


def _line(path: Path, pattern: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if re.search(pattern, line):
            return number
    raise AssertionError(pattern)


def test_errors_in_the_rules_name_file_and_line(content):
    folder, settings = content
    programme = folder / "programme.yaml"
    text = programme.read_text()
    text = text.replace("      count: 3\n", "      count: three\n")
    text = text.replace("        - slow-query\n", "        - slow-querry\n")
    text = text.replace("      kind: assessment\n", "      kind: assesment\n")
    text = text.replace("    - acknowledgment\n", "    - days\n")
    programme.write_text(text)
    problems = _problems(settings)
    where = f"curriculum/programme.yaml:{_line(programme, 'count: three')}"
    assert f"{where}: 'count' must be a whole number, got str 'three'" in problems
    where = f"curriculum/programme.yaml:{_line(programme, '- slow-querry')}"
    assert f"{where}: lab 'slow-querry' does not exist in labs/" in problems
    assert any(
        p.startswith(
            f"curriculum/programme.yaml:{_line(programme, 'kind: assesment')}: kind must be one of"
        )
        for p in problems
    )
    assert any("'days' cannot be renewed" in p for p in problems)


def test_unknown_keys_and_a_missing_acknowledgment_are_reported(content):
    folder, settings = content
    programme = folder / "programme.yaml"
    programme.write_text(
        programme.read_text().replace("      count: 2\n", "      count: 2\n      cuont: 2\n")
    )
    (folder / "acknowledgment.md").unlink()
    problems = _problems(settings)
    line = _line(programme, "cuont")
    assert any(
        p.startswith(f"curriculum/programme.yaml:{line}: unknown key 'cuont'") for p in problems
    )
    assert any("needs curriculum/acknowledgment.md" in p for p in problems)


def test_acknowledgment_front_matter_errors_name_the_line(content):
    folder, settings = content
    ack = folder / "acknowledgment.md"
    ack.write_text(ack.read_text().replace('version: "1"\n', "verison: 1\n"))
    problems = _problems(settings)
    assert (
        "curriculum/acknowledgment.md:4: unknown key 'verison' in acknowledgment front matter "
        "(allowed: id, title, version)" in problems
    )
    assert any(p.startswith("curriculum/acknowledgment.md:") and "'version'" in p for p in problems)


def test_validity_falls_back_to_the_setting_and_the_programme_can_set_it(content):
    folder, settings = content
    assert rules_of(load_catalog(settings.replace(certificate_months=6))).validity_months == 6
    programme = folder / "programme.yaml"
    programme.write_text(
        programme.read_text().replace("certificate:\n", "certificate:\n  validity_months: 24\n")
    )
    assert rules_of(load_catalog(settings.replace(certificate_months=6))).validity_months == 24


def test_an_exam_item_must_name_an_exam_and_lab_belongs_to_exam_items(content):
    folder, settings = content
    programme = folder / "programme.yaml"
    text = programme.read_text()
    assert "      lab: practical-exam\n" in text
    text = text.replace("      lab: practical-exam\n", "      lab: outage-502\n")
    text = text.replace("      days: all\n", "      days: all\n      lab: practical-exam\n")
    programme.write_text(text)
    problems = _problems(settings)
    where = f"curriculum/programme.yaml:{_line(programme, 'lab: outage-502')}"
    assert f"{where}: lab 'outage-502' is not an exam (its lab.yaml has no exam: key)" in problems
    where = f"curriculum/programme.yaml:{_line(programme, 'lab: practical-exam')}"
    assert f"{where}: 'lab' does not apply to a days item" in problems
