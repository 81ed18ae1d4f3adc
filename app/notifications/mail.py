"""Deliver one e-mail through SMTP (STARTTLS and authentication when configured), or log it."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.config import Settings

log = logging.getLogger("academy.notifications")

SMTP_TIMEOUT = 20


class PermanentFailure(Exception):
    """The server refused this message for good (e.g. an unknown recipient): do not retry."""


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """Return the e-mail as it goes on the wire."""
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    domain = settings.smtp_sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    return message


def deliver(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one notice now; without an SMTP host, write it to the log instead.

    Raises PermanentFailure when the server rejects the recipient or the message with a 5xx
    reply; any other exception (connection, TLS, authentication, 4xx) is worth retrying.
    """
    if not settings.smtp_host:
        log.info("notification", extra={"fields": {"to": to, "subject": subject, "body": body}})
        return
    message = build_message(settings, to, subject, body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        if settings.smtp_starttls:
            # Verified against the system's trust store (SSL_CERT_FILE names a private CA).
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {refused.recipients}") from refused
            raise
        except smtplib.SMTPDataError as refused:
            if refused.smtp_code >= 500:
                raise PermanentFailure(f"message refused: {refused}") from refused
            raise
