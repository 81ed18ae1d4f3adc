"""`academy drills sweep|status` and `academy bench drills`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.cli import bench
from app.clock import utcnow
from app.extensions import db


@click.group("drills")
def drills() -> None:
    """Recurring drills: sweep (reminders, suspension) and status."""


@drills.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Send due reminders and overdue notices, note completions, suspend and restore
    certificates, extend them by drills (what the worker does every few minutes; safe to rerun)."""
    from app.content import get_catalog
    from app.drills.services import sweep

    report = sweep(get_catalog())
    db.session.commit()
    click.echo(
        f"{report.holders} holders: {report.reminders} reminders, {report.overdue_notices} "
        f"overdue notices, {report.completions} completions noted"
    )
    for label, codes in (
        ("suspended", report.suspended),
        ("restored", report.restored),
        ("extended", report.extended),
    ):
        for code in codes:
            click.echo(f"{label} {code}")


@drills.command("status")
@with_appcontext
def status_command() -> None:
    """List every certificate holder with their standing on drills."""
    from app.content import get_catalog
    from app.drills.content import drill_rules
    from app.drills.status import load_statuses

    for status in load_statuses(drill_rules(get_catalog()), utcnow()):
        click.echo(
            f"{status.certificate.code}  {status.standing:<9} missed {status.outstanding:<3} "
            f"{status.name} ({status.cohort_name or 'no cohort'})"
        )


@click.command("drills")
@click.option("--operators", default=1000, show_default=True, type=click.IntRange(1, 20000))
@click.option("--runs", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--pages", default=3, show_default=True, type=click.IntRange(0, 100))
@click.option(
    "--database-url", default=None, help="A scratch database (default: a temporary SQLite file)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (operators, p50_ms, ...)."
)
def bench_drills(
    operators: int, runs: int, pages: int, database_url: str | None, as_json: bool
) -> None:
    """Time the drill status of OPERATORS certificate holders (the coordinators' view)."""
    from app.drills.bench import bench_drills as run

    try:
        result = run(operators, runs, database_url, pages)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(
        f"drill status of {result.operators} holders ({result.evidence_rows} pieces of evidence), "
        f"{result.runs} runs on {result.database}: p50 {result.p50_ms} ms, p95 {result.p95_ms} ms "
        f"({result.queries} queries); the whole page p50 {result.page_p50_ms} ms"
    )


bench.add_command(bench_drills)

commands = [drills]
