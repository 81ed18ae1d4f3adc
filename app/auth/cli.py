"""`academy users ...` commands."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth import services
from app.auth.models import Role, User
from app.extensions import db


@click.group("users")
def users() -> None:
    """Manage accounts."""


def _user(email: str) -> User:
    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    return user


@users.command("create")
@click.argument("email")
@click.argument("full_name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.TRAINEE.value)
@click.option("--password", help="Leave out to generate one and print it.")
@with_appcontext
def create(email: str, full_name: str, role: str, password: str | None) -> None:
    """Create an account."""
    chosen = password or secrets.token_urlsafe(12)
    try:
        user = services.create_user(email, full_name, chosen, Role(role))
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"created {user.role} {user.email}" + ("" if password else f" with password {chosen}")
    )


@users.command("list")
@with_appcontext
def list_users() -> None:
    """List accounts."""
    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        state = "" if user.active else " (deactivated)"
        click.echo(f"{user.id:>5}  {user.role:<12} {user.email:<32} {user.full_name}{state}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def set_role(email: str, role: str) -> None:
    """Change an account's role."""
    user = _user(email)
    services.set_role(user, Role(role))
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}")


@users.command("reset-password")
@click.argument("email")
@click.option("--password", help="Leave out to generate one and print it.")
@with_appcontext
def reset_password(email: str, password: str | None) -> None:
    """Set a new password and clear any lockout."""
    user = _user(email)
    chosen = password or secrets.token_urlsafe(12)
    try:
        services.set_password(user, chosen)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"password for {user.email} reset" + ("" if password else f" to {chosen}"))


commands = [users]
