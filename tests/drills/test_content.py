"""The `drills:` section of programme.yaml is validated like the rest of the content: every
problem names the file and the line."""

from __future__ import annotations

from dataclasses import replace

from app.content.errors import Problems
from app.content.yamlfile import parse
from app.drills.content import DrillRules, drill_rules, load_drills

GOOD = """\
drills:
  suspend: {after_missed: 2, periods: [quarterly]}
  items:
    - id: weekly-backup-check
      title: Verify the backups
      lab: backup-verify
      period: weekly
      grace_days: 3
      audience: {cohorts: [Night shift]}
"""

BAD = """\
drills:
  remind_days_before: 3
  suspend:
    after_missed: two
  items:
    - id: weekly-backup-check
      title: Verify the backups
      lab: no-such-lab
      period: weekly
      grace_days: 3
    - id: Monthly Quiz
      title: A quiz
      quiz: no-such-quiz
      period: fortnightly
      grace_days: 40
    - id: both
      title: Two kinds
      lab: backup-verify
      quiz: day-05-quiz
      period: monthly
      grace_days: 1
    - id: weekly-backup-check
      title: Again
      activity: karaoke
      period: weekly
      grace_days: 9
      colour: blue
"""


def _load(app, catalog, text):
    settings = app.config["ACADEMY"]
    path = settings.content_dir / "programme.yaml"
    problems = Problems(settings.content_dir.parent)
    node = parse(text, path, problems)
    trial = replace(catalog, sections=dict(catalog.sections))
    trial.programme = replace(catalog.programme, extra={"drills": node["drills"]})
    load_drills(trial, settings, problems)
    return drill_rules(trial), [str(p) for p in problems.items]


def test_the_programme_declares_its_drills(catalog):
    rules = drill_rules(catalog)
    assert isinstance(rules, DrillRules)
    kinds = {drill.kind for drill in rules.drills}
    assert kinds == {"lab", "quiz", "activity"}
    assert {drill.period for drill in rules.drills} == {"weekly", "monthly", "quarterly"}
    assert rules.suspend_after_missed >= 1
    assert rules.extend_months > 0


def test_a_valid_section_loads(app, catalog):
    rules, problems = _load(app, catalog, GOOD)
    assert problems == []
    [drill] = rules.drills
    assert (drill.kind, drill.target, drill.period, drill.grace_days) == (
        "lab",
        "backup-verify",
        "weekly",
        3,
    )
    assert drill.cohorts == ("Night shift",)
    assert drill.applies_to("Night shift")
    assert not drill.applies_to("Day shift")
    assert rules.suspend_periods == ("quarterly",)


def test_every_problem_names_the_file_and_line(app, catalog):
    _, problems = _load(app, catalog, BAD)
    text = "\n".join(problems)
    expected = [
        "curriculum/programme.yaml:4: 'after_missed' must be a whole number",
        "curriculum/programme.yaml:8: lab 'no-such-lab' does not exist in labs/",
        "curriculum/programme.yaml:11: id 'Monthly Quiz' must be lowercase",
        "curriculum/programme.yaml:13: quiz 'no-such-quiz' does not exist",
        "curriculum/programme.yaml:14: period must be one of weekly, monthly, quarterly",
        "curriculum/programme.yaml:19: drill 'both' must name exactly one of lab, quiz or activity",
        "curriculum/programme.yaml:24: activity must be one of training_session",
        "curriculum/programme.yaml:26: grace_days of a weekly drill must be 0 to 6, got 9",
        "curriculum/programme.yaml:27: unknown key 'colour' in drill",
        "curriculum/programme.yaml:22: drill id 'weekly-backup-check' is used twice",
    ]
    for message in expected:
        assert any(line.startswith(message) for line in problems), (message, text)
