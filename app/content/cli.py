"""`academy content check|stats`."""

from __future__ import annotations

import json
import sys

import click

from app.config import Settings
from app.content.catalog import Catalog, load_catalog
from app.content.errors import ContentError, Problems

# Other features add per-day counts to `content stats`: a function taking the catalog and a
# day id and returning {name: number}, and optionally programme-wide totals.
DAY_COUNTERS: list[str] = ["app.content.quizzes:day_counts"]
TOTAL_COUNTERS: list[str] = ["app.content.quizzes:assessment_counts"]
# Checks only `content check` runs, after loading: quality thresholds (such as the quizzes'
# cue linter) that must hold before content ships but never stop a running platform from
# loading it. Each takes (catalog, settings, problems) and records problems with file and line.
LINTERS: list[str] = ["app.content.quiz_lint:lint_quizzes"]


def _settings() -> Settings:
    import os

    return Settings.from_env(
        {**os.environ, "ACADEMY_ENV": os.environ.get("ACADEMY_ENV", "development")}
    )


def _call(dotted: str, *args: object) -> dict[str, int]:
    import importlib

    module_name, _, function = dotted.partition(":")
    result: dict[str, int] = getattr(importlib.import_module(module_name), function)(*args)
    return result


@click.group("content")
def content() -> None:
    """Validate and measure the curriculum and labs."""


@content.command("check")
def check() -> None:
    """Validate every content file; exit 1 with file:line errors on any problem."""
    settings = _settings()
    try:
        catalog = load_catalog(settings)
        problems = Problems(settings.content_dir.parent)
        for dotted in LINTERS:
            _call(dotted, catalog, settings, problems)
        problems.raise_if_any()
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(
        f"content OK (version {catalog.version}): {len(catalog.days)} days, "
        f"{len(catalog.lessons)} lessons"
    )


def lab_uses(catalog: Catalog) -> dict[str, dict[str, object]]:
    """Return, per lab, its day, whether it is an exam, and the sign-off items it serves.

    A lab serves the `days` items that include its day (a day is complete only with its labs
    passed), the `labs` items that list it and the `exam` items that name it.
    """
    signoff = catalog.sections.get("signoff")
    items = getattr(signoff, "items", ())
    found: dict[str, dict[str, object]] = {}
    for slug, lab in catalog.sections.get("labs", {}).items():
        serves = [
            item.id
            for item in items
            if (item.kind == "days" and lab.day_id in item.day_ids)
            or (item.kind in ("labs", "exam") and slug in item.lab_slugs)
        ]
        found[slug] = {"day": lab.day_id, "exam": lab.is_exam, "signoff": serves}
    return found


@content.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object keyed by day id.")
def stats(as_json: bool) -> None:
    """Print, per day, the number of lessons, words, questions and labs, and what each lab serves.

    With --json: one object keyed by day id (each with its counts and `lab_slugs`), the
    programme-wide totals, and `labs`: per lab slug its day, whether it is an exam, and the ids
    of the sign-off items it serves.
    """
    try:
        catalog = load_catalog(_settings())
    except ContentError as error:
        raise click.ClickException(str(error)) from None
    table: dict[str, dict[str, int]] = {}
    labs = catalog.sections.get("labs", {})
    for day in catalog.days:
        row = {"lessons": len(day.lessons), "words": sum(lesson.words for lesson in day.lessons)}
        for dotted in DAY_COUNTERS:
            row.update(_call(dotted, catalog, day.id))
        row["labs"] = len(day.lab_slugs)
        row["exams"] = sum(1 for slug in day.lab_slugs if getattr(labs.get(slug), "is_exam", False))
        table[day.id] = row
    totals: dict[str, int] = {}
    for dotted in TOTAL_COUNTERS:
        totals.update(_call(dotted, catalog))
    uses = lab_uses(catalog)
    if as_json:
        days = {day.id: {**table[day.id], "lab_slugs": list(day.lab_slugs)} for day in catalog.days}
        click.echo(json.dumps({**days, **totals, "labs": uses}, indent=2))
        return
    columns = list(next(iter(table.values()), {}))
    click.echo(f"{'day':<10} " + " ".join(f"{c:>10}" for c in columns))
    for day_id, row in table.items():
        click.echo(f"{day_id:<10} " + " ".join(f"{row.get(c, 0):>10}" for c in columns))
    for name, value in totals.items():
        click.echo(f"{name}: {value}")
    for slug, use in uses.items():
        kind = "exam" if use["exam"] else "lab"
        serves = ", ".join(use["signoff"]) or "no sign-off item"  # type: ignore[arg-type]
        click.echo(f"{kind} {slug} ({use['day']}): serves {serves}")


commands = [content]
