"""`academy content check|stats`."""

from __future__ import annotations

import json
import sys

import click

from app.config import Settings
from app.content.catalog import load_catalog
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


@content.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object keyed by day id.")
def stats(as_json: bool) -> None:
    """Print, per day, the number of lessons, words and questions."""
    try:
        catalog = load_catalog(_settings())
    except ContentError as error:
        raise click.ClickException(str(error)) from None
    table: dict[str, dict[str, int]] = {}
    for day in catalog.days:
        row = {"lessons": len(day.lessons), "words": sum(lesson.words for lesson in day.lessons)}
        for dotted in DAY_COUNTERS:
            row.update(_call(dotted, catalog, day.id))
        table[day.id] = row
    totals: dict[str, int] = {}
    for dotted in TOTAL_COUNTERS:
        totals.update(_call(dotted, catalog))
    if as_json:
        click.echo(json.dumps({**table, **totals}, indent=2))
        return
    columns = list(next(iter(table.values()), {}))
    click.echo(f"{'day':<10} " + " ".join(f"{c:>10}" for c in columns))
    for day_id, row in table.items():
        click.echo(f"{day_id:<10} " + " ".join(f"{row.get(c, 0):>10}" for c in columns))
    for name, value in totals.items():
        click.echo(f"{name}: {value}")


commands = [content]
