"""E-mail goes through the outbox: written with the change, sent by the worker after commit,
over STARTTLS with authentication, retried with backoff; tested against a real SMTP server."""

from __future__ import annotations

import email
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from sqlalchemy import select, update

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import as_utc, utcnow
from app.config import ConfigError, Settings
from app.extensions import db
from app.notifications import notify, outbox
from app.notifications.models import OutboxMessage
from tests.browser import build_app
from tests.conftest import PASSWORD, csrf_token, login

USER = "academy-mailer"
SECRET = "smtp password for tests"


class Recorder:
    """Keeps every message the server accepted; refuses recipients at refused.example.test."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.logins: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.endswith("@refused.example.test"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == USER.encode() and auth_data.password == SECRET.encode()
        )
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok)

    def received(self) -> list[tuple[list[str], Any]]:
        """Return (recipients, parsed message) for each accepted message."""
        return [
            (list(e.rcpt_tos), email.message_from_bytes(e.content, policy=policy.default))
            for e in self.envelopes
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    """Make a self-signed certificate for 127.0.0.1 with the openssl command."""
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp(tls_files, monkeypatch) -> Iterator[tuple[Recorder, int]]:
    """A real SMTP server on 127.0.0.1 that insists on STARTTLS and a login."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The platform verifies the server against the trust store; SSL_CERT_FILE names ours.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    recorder = Recorder()
    port = _free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=recorder.authenticate,
    )
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture(scope="module")
def mail_app(pg_server) -> Iterator[Flask]:
    """An app on its own database whose transactions really commit (or really roll back)."""
    app = build_app(pg_server.create_database("academy_outbox"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def configured(mail_app, smtp, monkeypatch) -> tuple[Flask, Recorder]:
    """The app pointed at the test server, with an empty outbox."""
    recorder, port = smtp
    settings: Settings = mail_app.config["ACADEMY"]
    monkeypatch.setitem(
        mail_app.config,
        "ACADEMY",
        settings.replace(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=True,
            smtp_username=USER,
            smtp_password=SECRET,
            smtp_sender="academy@ops.example.test",
        ),
    )
    with mail_app.app_context():
        db.session.query(OutboxMessage).delete()
        db.session.commit()
    return mail_app, recorder


def _rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_a_committed_notice_is_delivered_and_a_rolled_back_one_is_not(configured):
    app, recorder = configured
    with app.app_context():
        notify("kept@example.test", "Committed", "This notice was committed.")
        db.session.commit()
        notify("dropped@example.test", "Rolled back", "This notice was rolled back.")
        db.session.rollback()
        # Nothing is sent before the worker runs, even for the committed one.
        assert recorder.envelopes == []
        outbox.send_due(app)  # the supervisor task (no supervisor here: the job runs inline)
    received = recorder.received()
    assert [to for to, _ in received] == [["kept@example.test"]]
    message = received[0][1]
    assert message["Subject"] == "Committed"
    assert message["From"] == "academy@ops.example.test"
    assert message["Message-ID"]
    assert message.get_content().strip() == "This notice was committed."
    # Logged in, which the server allows only after STARTTLS.
    assert recorder.logins == [USER.encode()]
    [row] = _rows(app)
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.body == ""  # who got what and when is kept, not the text (it may hold a link)
    assert row.sent_at is not None


def test_a_request_writes_the_invitation_and_its_email_together_and_never_sends(configured):
    app, recorder = configured
    with app.app_context():
        admin = create_user("mail-admin@example.test", "Mail Admin", PASSWORD, Role.ADMIN)
        db.session.commit()
        db.session.refresh(admin)
        db.session.expunge(admin)
    client = app.test_client()
    login(client, admin)
    token = csrf_token(client, "/invitations")
    response = client.post(
        "/invitations",
        data={
            "email": "newcomer@example.test",
            "full_name": "New Comer",
            "role": "trainee",
            "cohort_id": "0",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert recorder.envelopes == []  # the request thread wrote the outbox row and nothing else
    [row] = _rows(app)
    assert row.recipient == "newcomer@example.test"
    assert "/invitations/" in row.body
    assert outbox.deliver_due(app) == 1
    [(to, message)] = recorder.received()
    assert to == ["newcomer@example.test"]
    assert "/invitations/" in message.get_content()


def test_failures_are_retried_with_backoff_then_delivered(configured, monkeypatch):
    app, recorder = configured
    working: Settings = app.config["ACADEMY"]
    monkeypatch.setitem(app.config, "ACADEMY", working.replace(smtp_port=_free_port()))
    with app.app_context():
        notify("patient@example.test", "Eventually", "Sent once the server is back.")
        db.session.commit()
        before = utcnow()
        assert outbox.deliver_due(app) == 0
    [row] = _rows(app)
    assert row.status == "pending"
    assert row.attempts == 1
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert as_utc(row.next_attempt_at) >= before + timedelta(seconds=29)
    assert row.claimed_until is None
    with app.app_context():
        assert outbox.deliver_due(app) == 0  # not due yet: nothing is tried
    assert _rows(app)[0].attempts == 1
    monkeypatch.setitem(app.config, "ACADEMY", working)
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert outbox.deliver_due(app) == 1
    assert [to for to, _ in recorder.received()] == [["patient@example.test"]]
    assert _rows(app)[0].status == "sent"


def test_a_refused_recipient_is_given_up_at_once(configured):
    app, recorder = configured
    with app.app_context():
        notify("ghost@refused.example.test", "Nobody", "Nobody reads this.")
        notify("real@example.test", "Somebody", "Somebody reads this.")
        db.session.commit()
        assert outbox.deliver_due(app) == 1
    ghost, real = _rows(app)
    assert (ghost.status, ghost.attempts, ghost.body) == ("failed", 1, "")
    assert "550" in (ghost.last_error or "")
    assert real.status == "sent"
    assert [to for to, _ in recorder.received()] == [["real@example.test"]]


def test_backoff_doubles_up_to_an_hour_and_gives_up_after_the_last_attempt(configured, monkeypatch):
    assert [outbox.backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert outbox.backoff(30) == timedelta(hours=1)
    app, _ = configured
    working: Settings = app.config["ACADEMY"]
    monkeypatch.setitem(app.config, "ACADEMY", working.replace(smtp_port=_free_port()))
    with app.app_context():
        notify("late@example.test", "Late", "Never arrives.")
        db.session.execute(update(OutboxMessage).values(attempts=outbox.MAX_ATTEMPTS - 1))
        db.session.commit()
        assert outbox.deliver_due(app) == 0
    [row] = _rows(app)
    assert (row.status, row.attempts, row.body) == ("failed", outbox.MAX_ATTEMPTS, "")


def test_a_claimed_message_is_not_claimed_twice_until_the_claim_lapses(configured):
    app, _ = configured
    with app.app_context():
        notify("once@example.test", "Once", "Only one sender takes it.")
        db.session.commit()
        first = outbox.claim_next(utcnow())
        assert first is not None
        assert outbox.claim_next(utcnow()) is None
        # The sender died: after the claim lapses another takes the message over.
        assert outbox.claim_next(utcnow() + outbox.CLAIM_FOR + timedelta(seconds=1)) is not None


def test_the_worker_sends_the_outbox():
    from app.sandboxes.supervisor import TASKS

    assert "app.notifications.outbox:send_due" in TASKS


def test_without_an_smtp_host_notices_go_to_the_log(mail_app):
    with mail_app.app_context():
        db.session.query(OutboxMessage).delete()
        notify("dev@example.test", "Local", "Logged, not mailed.")
        db.session.commit()
        outbox.deliver_due(mail_app)
    assert _rows(mail_app)[0].status == "sent"


def test_credentials_need_starttls():
    base = {"ACADEMY_ENV": "test", "ACADEMY_SMTP_HOST": "mail.example.test"}
    with pytest.raises(ConfigError, match="STARTTLS"):
        Settings.from_env({**base, "ACADEMY_SMTP_USERNAME": "academy"})
    settings = Settings.from_env(
        {
            **base,
            "ACADEMY_SMTP_USERNAME": "academy",
            "ACADEMY_SMTP_PASSWORD": "pw",
            "ACADEMY_SMTP_STARTTLS": "true",
            "ACADEMY_SMTP_PORT": "587",
        }
    )
    assert (settings.smtp_starttls, settings.smtp_username, settings.smtp_port) == (
        True,
        "academy",
        587,
    )
    assert "pw" not in repr(settings)
