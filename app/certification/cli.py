"""`academy certificates ...` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.services import find_user
from app.certification import certificates as issuing
from app.certification.checklist import RENEWAL_WINDOW_DAYS
from app.certification.models import Certificate
from app.certification.services import SignoffError
from app.clock import utcnow
from app.extensions import db


@click.group("certificates")
def certificates() -> None:
    """List, revoke and send expiry notices for certificates."""


@certificates.command("notify-expiring")
@click.option("--days", default=RENEWAL_WINDOW_DAYS, show_default=True, help="Notice period.")
@with_appcontext
def notify_expiring(days: int) -> None:
    """Tell holders whose certificate expires within DAYS (once per certificate; safe to rerun)."""
    told = issuing.notify_expiring(utcnow(), days)
    db.session.commit()
    for certificate in told:
        click.echo(f"notified {certificate.code} (expires {certificate.expires_at:%Y-%m-%d})")
    click.echo(f"{len(told)} expiry notice(s) sent")


@certificates.command("list")
@with_appcontext
def list_certificates() -> None:
    """List every certificate with its status."""
    now = utcnow()
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    for c in db.session.scalars(query):
        click.echo(
            f"{c.code}  {c.status(now):<8} cycle {c.cycle}  {c.issued_at:%Y-%m-%d} → "
            f"{c.expires_at:%Y-%m-%d}  {c.recipient_name}"
        )


@certificates.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Shown on the public verify page and badge.")
@click.option("--by", "admin_email", required=True, help="E-mail of the admin revoking it.")
@with_appcontext
def revoke(code: str, reason: str, admin_email: str) -> None:
    """Revoke a certificate."""
    certificate = issuing.find_by_code(code)
    admin = find_user(admin_email)
    if certificate is None:
        raise click.ClickException(f"no certificate {code}")
    if admin is None:
        raise click.ClickException(f"no account for {admin_email}")
    try:
        issuing.revoke_certificate(certificate.id, admin, reason)
    except SignoffError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"revoked {certificate.code}")


commands = [certificates]
