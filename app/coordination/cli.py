"""`academy cohorts ...` and `academy bench matrix`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.auth.services import find_user
from app.cli import bench
from app.config import Settings
from app.coordination import services
from app.coordination.models import Cohort
from app.coordination.onboarding import RosterError, import_roster
from app.extensions import db


@click.group("cohorts")
def cohorts() -> None:
    """Manage cohorts and onboard their members."""


@cohorts.command("list")
@with_appcontext
def list_cohorts() -> None:
    """List cohorts with their start dates, coordinators and sizes."""
    for cohort in db.session.scalars(db.select(Cohort).order_by(Cohort.start_date.desc())):
        names = ", ".join(link.user.full_name for link in cohort.coordinators) or "no coordinator"
        click.echo(
            f"{cohort.id:>4}  {cohort.start_date}  {cohort.name:<30} "
            f"{len(cohort.members):>4} trainees  ({names})"
        )


@cohorts.command("create")
@click.argument("name")
@click.argument("start_date", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option(
    "--coordinator", "emails", multiple=True, help="E-mail of a coordinator (repeatable)."
)
@with_appcontext
def create(name: str, start_date: datetime, emails: tuple[str, ...]) -> None:
    """Create a cohort starting on START_DATE (YYYY-MM-DD)."""
    ids = []
    for email in emails:
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        ids.append(user.id)
    try:
        cohort = services.create_cohort(name, start_date.date(), [])
        for user_id in ids:
            services.add_coordinator(cohort.id, user_id)
    except services.CohortError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created cohort {cohort.id} {cohort.name}")


@cohorts.command("import")
@click.argument("cohort_id", type=int)
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "email", required=True, help="E-mail of the coordinator or admin inviting.")
@with_appcontext
def import_command(cohort_id: int, roster: Path, email: str) -> None:
    """Invite everyone in a roster CSV (email,full_name) to a cohort; nothing on any bad row."""
    from app.notifications import notify

    settings: Settings = current_app.config["ACADEMY"]
    cohort = db.session.get(Cohort, cohort_id)
    inviter = find_user(email)
    if cohort is None:
        raise click.ClickException(f"no cohort {cohort_id}")
    if inviter is None or services.visible_cohort(inviter, cohort_id) is None:
        raise click.ClickException(f"{email} is not an admin or a coordinator of this cohort")
    try:
        made = import_roster(cohort, roster.read_bytes(), inviter, settings.invitation_days)
    except RosterError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException("nothing was imported") from None
    links = []
    for invitation, token in made:
        link = f"{settings.base_url}/invitations/{token}"
        notify(
            invitation.email,
            "Your Ops Academy invitation",
            f"You have been invited to the cohort {cohort.name} on Ops Academy. "
            f"Set your password here: {link}\n"
            f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
        )
        links.append((invitation.email, link))
    # The invitations and their e-mails (in the outbox) commit together.
    db.session.commit()
    for address, link in links:
        click.echo(f"invited {address}: {link}")


@click.command("matrix")
@click.option("--trainees", default=200, show_default=True, type=click.IntRange(1, 5000))
@click.option("--runs", default=30, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--database-url", default=None, help="A scratch database (default: a temporary SQLite file)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (p50_ms, p95_ms, ...)."
)
def bench_matrix(trainees: int, runs: int, database_url: str | None, as_json: bool) -> None:
    """Time the progress matrix page of a cohort of TRAINEES and print p50 and p95."""
    from app.coordination.bench import bench_matrix as run

    try:
        result = run(trainees, runs, database_url)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(
        f"progress matrix, {result.trainees} trainees, {result.runs} renders on {result.database}: "
        f"p50 {result.p50_ms} ms, p95 {result.p95_ms} ms ({result.queries} queries per render)"
    )


bench.add_command(bench_matrix)

commands = [cohorts]
