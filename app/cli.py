"""The `academy` command: serve, database, demo data, and every feature's commands."""

from __future__ import annotations

import gc
import importlib
import secrets
import sys
from datetime import date, timedelta

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app import create_app
from app.config import ROOT, ConfigError
from app.loadbench.cli import load as bench_load

# Feature modules that contribute commands: each exposes `commands`, a list of click commands.
FEATURE_COMMANDS = (
    "app.auth.cli",
    "app.content.cli",
    "app.sandboxes.cli",
    "app.coordination.cli",
    "app.certification.cli",
    "app.quizzes.cli",
    "app.labs.cli",
    "app.labs.startbench",
    "app.backup.cli",
    "app.drills.cli",
)

# Called with the app just before `academy serve` starts serving (e.g. the sandbox supervisor).
SERVE_HOOKS: list[str] = ["app.sandboxes.supervisor:start_in_background"]


def _make_app() -> Flask:
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


cli = FlaskGroup(
    name="academy",
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Ops Academy: training and certification for operations teams.",
)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Validate the content and serve the platform."""
    from werkzeug.serving import run_simple

    from app.content import ContentError, get_catalog

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        catalog = get_catalog()
    except ContentError as error:
        click.echo(f"content errors:\n{error}", err=True)
        sys.exit(1)
    click.echo(
        f"content version {catalog.version}: "
        f"{len(catalog.days)} days, {len(catalog.lessons)} lessons"
    )
    # Everything loaded so far lives for the whole process; keep the collector from rescanning it.
    gc.freeze()
    for dotted in SERVE_HOOKS:
        module_name, _, function = dotted.partition(":")
        getattr(importlib.import_module(module_name), function)(app)
    click.echo(f"serving on http://{host}:{port}")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@with_appcontext
def sockets(host: str, port: int) -> None:
    """Serve the browser terminals' sockets in a process of their own (no supervisor).

    Each open socket holds a thread for as long as it is open; served here, they never take the
    threads that serve pages. Point ACADEMY_SOCKETS_URL at this process (or route
    /sandboxes/<id>/terminal and /watch to it in the proxy).
    """
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    gc.freeze()
    settings = app.config["ACADEMY"]
    click.echo(
        f"serving terminal sockets on ws://{host}:{port} "
        f"(at most {settings.sockets_per_process} at once)"
    )
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cli.group()
def bench() -> None:
    """Measure the platform's speed (each benchmark builds its own data and prints figures)."""


bench.add_command(bench_load)


@cli.group()
def db() -> None:
    """Create, upgrade or downgrade the database schema."""


@db.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: all)."""
    import flask_migrate

    flask_migrate.upgrade(directory=_migrations(), revision=revision)
    click.echo("database is up to date")


@db.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    import flask_migrate

    flask_migrate.downgrade(directory=_migrations(), revision=revision)


def _migrations() -> str:
    """Return the migrations folder beside app/, or say why it is missing."""
    folder = ROOT / "migrations"
    if not (folder / "env.py").is_file():
        # A plain (non-editable) install puts app/ in site-packages, away from migrations/.
        raise click.ClickException(
            f"no migrations in {folder}: install the platform from its source tree "
            "(pip install -e .), as the Dockerfile does"
        )
    return str(folder)


@cli.command()
@with_appcontext
def demo() -> None:
    """Create demo accounts and a cohort once, printing their passwords."""
    from sqlalchemy import select

    from app.auth.models import Role, User
    from app.auth.services import create_user
    from app.coordination.services import add_member, create_cohort
    from app.extensions import db as database

    if database.session.scalar(select(User).limit(1)) is not None:
        click.echo("Demo accounts exist already (passwords were printed when they were made).")
        click.echo("Set a new one with: academy users reset-password EMAIL")
        return
    people = [
        ("admin@academy.local", "Ada Admin", Role.ADMIN),
        ("coordinator@academy.local", "Cora Coordinator", Role.COORDINATOR),
        ("thandi@academy.local", "Thandi Trainee", Role.TRAINEE),
        ("sipho@academy.local", "Sipho Trainee", Role.TRAINEE),
        ("lerato@academy.local", "Lerato Trainee", Role.TRAINEE),
    ]
    made = []
    for email, name, role in people:
        password = secrets.token_urlsafe(12)
        made.append((create_user(email, name, password, role), password))
    coordinator = made[1][0]
    cohort = create_cohort("Handover cohort 1", date.today() - timedelta(days=3), [coordinator.id])
    for user, _ in made[2:]:
        add_member(cohort.id, user.id)
    database.session.commit()
    click.echo("Demo accounts (shown once; log in at http://127.0.0.1:5000/login):")
    for user, password in made:
        click.echo(f"  {user.role:<12} {user.email:<28} {password}")


def main() -> None:
    """Run the academy command."""
    for dotted in FEATURE_COMMANDS:
        for command in importlib.import_module(dotted).commands:
            cli.add_command(command)
    cli.main(prog_name="academy")
