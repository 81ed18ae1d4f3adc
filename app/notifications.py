"""Outgoing notices: e-mail through SMTP when configured, otherwise the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, has_request_context

from app.config import Settings
from app.web import after_commit

log = logging.getLogger("academy.notifications")


def notify(to: str, subject: str, body: str) -> None:
    """Send a notice once the current transaction has committed."""
    settings: Settings = current_app.config["ACADEMY"]
    if has_request_context():
        after_commit(lambda: deliver(settings, to, subject, body))
    else:
        deliver(settings, to, subject, body)


def deliver(settings: Settings, to: str, subject: str, body: str) -> None:
    """Deliver one notice now."""
    if not settings.smtp_host:
        log.info("notification", extra={"fields": {"to": to, "subject": subject, "body": body}})
        return
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
