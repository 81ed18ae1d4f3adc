"""Scheduled platform jobs that belong to no feature's own supervisor task.

The supervisor (`academy worker` in production, a thread of `academy serve` otherwise) runs each
feature's periodic work as a task: the outbox (`notifications.outbox:send_due`), learning records
(`xapi.sender:send_due`), recording retention (`sandboxes.recordings:prune_periodically`, hourly).
This module adds the certificate expiry notices: `academy certificates notify-expiring` (which
is idempotent: each certificate's holder is told once) run on the first tick and then hourly, so
no cron job is needed. With several workers on one PostgreSQL database, a transaction-level
advisory lock lets one of them do it at a time.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy import text

from app.extensions import db

log = logging.getLogger("academy.periodic")

EXPIRY_TASK = "app.periodic:notify_expiring_certificates"
EVERY_SECONDS = 3600.0
# pg_try_advisory_xact_lock key: "cert" in ASCII.
LOCK_KEY = 0x63657274
_ran_at: list[float] = [float("-inf")]


def init_app(app: Flask) -> None:
    """Register the scheduled jobs with the supervisor."""
    from app.sandboxes import supervisor

    if EXPIRY_TASK not in supervisor.TASKS:
        supervisor.TASKS.append(EXPIRY_TASK)


def notify_expiring_certificates(app: Flask) -> None:
    """Supervisor task: tell holders of certificates that expire soon, at most once an hour."""
    if time.monotonic() - _ran_at[0] < EVERY_SECONDS:
        return
    _ran_at[0] = time.monotonic()
    try:
        from app.certification.certificates import notify_expiring
    except ImportError:  # certification is not installed on this platform
        return
    if db.engine.dialect.name == "postgresql" and not db.session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}
    ):
        db.session.rollback()
        return  # another worker is doing it right now
    told = notify_expiring()
    db.session.commit()
    if told:
        log.info("told the holders of %d expiring certificate(s)", len(told))
