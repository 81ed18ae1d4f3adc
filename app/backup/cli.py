"""`academy backup FILE` and `academy restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.backup.archive import BackupError, Summary, restore_backup, write_backup


def _say(verb: str, summary: Summary) -> None:
    click.echo(
        f"{verb} {summary.path}: {summary.total_rows} rows in {len(summary.rows)} tables, "
        f"{summary.files} instance files, schema {summary.revision}"
        + (f", content {summary.content_version}" if summary.content_version else "")
    )


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(target: Path) -> None:
    """Back up the platform (every table, recordings and instance files) to TARGET (.tar.gz).

    The archive holds password hashes and session secrets: keep it as safe as the database.
    """
    try:
        summary = write_backup(current_app._get_current_object(), target)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    _say("wrote", summary)


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore(source: Path) -> None:
    """Restore a backup into this installation, which must be empty (run 'academy db upgrade'
    on a new database first) and at the backup's schema revision."""
    try:
        summary = restore_backup(current_app._get_current_object(), source)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    _say("restored", summary)


commands = [backup, restore]
