"""`academy content stats --json`: labs per day, and which sign-off items each lab serves, read
from the content (day.yaml `labs:`, lab.yaml `exam:`, programme.yaml `signoff:`)."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from app.certification.rules import rules_of
from app.config import Settings
from app.content.catalog import load_catalog
from app.content.cli import content


def test_stats_report_labs_per_day_and_the_items_each_lab_serves():
    result = CliRunner().invoke(content, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    catalog = load_catalog(
        Settings.from_env({**os.environ, "ACADEMY_ENV": os.environ.get("ACADEMY_ENV", "test")})
    )
    rules = rules_of(catalog)
    labs = catalog.sections["labs"]
    for day in catalog.days:
        row = stats[day.id]
        assert row["labs"] == len(day.lab_slugs)
        assert row["lab_slugs"] == list(day.lab_slugs)
        assert row["exams"] == sum(1 for slug in day.lab_slugs if labs[slug].is_exam)
    assert set(stats["labs"]) == set(labs)
    for slug, use in stats["labs"].items():
        assert use["day"] == labs[slug].day_id
        assert use["exam"] == labs[slug].is_exam
        # Every lab serves the days item (its day needs it), and the items that name it.
        assert "days" in use["signoff"]
        assert ("practical-tasks" in use["signoff"]) == (
            slug in rules.item("practical-tasks").lab_slugs
        )
    assert stats["labs"]["practical-exam"] == {
        "day": "day-10",
        "exam": True,
        "signoff": ["days", "practical-exam"],
    }
    assert stats["day-10"]["exams"] == 1


def test_stats_print_each_lab_with_what_it_serves():
    result = CliRunner().invoke(content, ["stats"])
    assert result.exit_code == 0, result.output
    assert "exam practical-exam (day-10): serves days, practical-exam" in result.output
    assert "lab outage-502 (day-07): serves days, practical-tasks" in result.output
