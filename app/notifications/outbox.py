"""The outbox: `notify()` writes a notice in the caller's transaction; the worker sends it.

A notice exists only if the change that caused it commits, and it is sent only afterwards,
by the supervisor (`send_due`, listed in `supervisor.TASKS`), never in a request thread. A
sender claims one message at a time for `CLAIM_FOR` (a compare-and-set update, so two workers
never send the same one while both live), commits, sends, and records the outcome; a failure is
retried with exponential backoff, and a message the server refuses for good is given up at once.
A worker that dies mid-send leaves its claim to lapse, so a message is sent at least once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, or_, select, update

from app.clock import utcnow
from app.config import Settings
from app.extensions import db
from app.notifications import mail
from app.notifications.models import OutboxMessage, OutboxStatus

log = logging.getLogger("academy.notifications")

CLAIM_FOR = timedelta(minutes=2)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about four hours before giving up.
MAX_ATTEMPTS = 10
BATCH = 50
KEEP_SENT = timedelta(days=30)
CLAIM_TRIES = 5


def notify(to: str, subject: str, body: str) -> OutboxMessage:
    """Queue a notice in the current transaction; it is sent once that transaction commits."""
    now = utcnow()
    message = OutboxMessage(
        recipient=to[:254],
        subject=subject[:300],
        body=body,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the given number of failed attempts."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _due(now: datetime) -> Any:
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING.value,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def next_due(now: datetime) -> int | None:
    """Return the id of the oldest message ready to be sent, if any."""
    return db.session.scalar(
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(1)
    )


def claim_next(now: datetime) -> OutboxMessage | None:
    """Claim the oldest due message for this sender and commit the claim; None when none."""
    for _ in range(CLAIM_TRIES):
        message_id = db.session.scalar(
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if message_id is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now))
            .values(claimed_until=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return db.session.get(OutboxMessage, message_id, populate_existing=True)
    return None


def _sent(message: OutboxMessage, now: datetime) -> None:
    message.status = OutboxStatus.SENT.value
    message.sent_at = now
    message.body = ""  # it may carry an invitation link: keep only who got what and when
    message.claimed_until = None
    message.last_error = None


def _give_up(message: OutboxMessage, error: str) -> None:
    message.status = OutboxStatus.FAILED.value
    message.body = ""
    message.claimed_until = None
    message.last_error = error[:2000]
    log.error(
        "notification given up",
        extra={"fields": {"outbox_id": message.id, "to": message.recipient, "error": error}},
    )


def _retry_later(message: OutboxMessage, error: str, now: datetime) -> None:
    if message.attempts >= MAX_ATTEMPTS:
        _give_up(message, f"after {message.attempts} attempts: {error}")
        return
    message.last_error = error[:2000]
    message.claimed_until = None
    message.next_attempt_at = now + backoff(message.attempts)
    log.warning(
        "notification not sent, will retry",
        extra={
            "fields": {
                "outbox_id": message.id,
                "attempts": message.attempts,
                "retry_at": message.next_attempt_at.isoformat(),
                "error": error,
            }
        },
    )


def send_one(settings: Settings, message: OutboxMessage) -> bool:
    """Send a claimed message and record the outcome (flushed, not committed)."""
    try:
        mail.deliver(settings, message.recipient, message.subject, message.body)
    except mail.PermanentFailure as refused:
        _give_up(message, str(refused))
    except Exception as error:  # connection, TLS, authentication, 4xx: try again later
        _retry_later(message, f"{type(error).__name__}: {error}", utcnow())
    else:
        _sent(message, utcnow())
    db.session.flush()
    return message.status == OutboxStatus.SENT.value


def deliver_due(app: Flask, limit: int = BATCH) -> int:
    """Send up to limit due messages, committing after each; return how many were sent."""
    with app.app_context():
        settings: Settings = app.config["ACADEMY"]
        sent = 0
        for _ in range(limit):
            message = claim_next(utcnow())
            if message is None:
                break
            sent += send_one(settings, message)
            db.session.commit()
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.SENT.value,
                OutboxMessage.sent_at < utcnow() - KEEP_SENT,
            )
        )
        db.session.commit()
        return sent


def send_due(app: Flask) -> None:
    """Supervisor task: when a message is due, send on the job pool (one sender per process)."""
    if next_due(utcnow()) is None:
        return
    from app.sandboxes.supervisor import submit

    submit(send_batch, app)


def send_batch(app: Flask) -> None:
    """The job send_due hands to the supervisor's pool (deduplicated: one at a time)."""
    deliver_due(app)
