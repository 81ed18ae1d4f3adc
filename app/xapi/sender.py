"""Deliver recorded statements to the LRS (a supervisor task), after their transaction commits.

A batch of due statements is claimed by moving their next attempt a few minutes ahead (so two
workers never send the same batch at once), posted to `<ACADEMY_LRS_URL>/statements`, and marked
sent when the LRS answers 200 or 204. Statement ids are fixed when recorded, so a batch sent again
after a lost answer is stored once (an LRS answers 204 or 409 for ids it holds; on 409 each one is
put on its own). When the LRS is unreachable or answers 5xx, the batch waits: 30 s, doubling to an
hour, for as long as it takes; nothing is dropped. A 4xx about a statement's content marks that
statement rejected, with the LRS's words kept for the admin.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import requests
from flask import Flask
from sqlalchemy import select, update

from app.clock import utcnow
from app.config import Settings
from app.extensions import db
from app.xapi.models import StatementStatus, XapiStatement

log = logging.getLogger("academy.xapi")
BATCH = 50
CLAIM = timedelta(minutes=2)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
TIMEOUT = 15
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after this many failed ones."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, attempts - 1)))


def _endpoint(settings: Settings) -> str:
    return settings.lrs_url.rstrip("/") + "/statements"


def _auth(settings: Settings) -> tuple[str, str] | None:
    if settings.lrs_username:
        return (settings.lrs_username, settings.lrs_password)
    return None


def _claim(now: Any) -> list[XapiStatement]:
    due = list(
        db.session.scalars(
            select(XapiStatement)
            .where(
                XapiStatement.status == StatementStatus.PENDING.value,
                XapiStatement.next_attempt_at <= now,
            )
            .order_by(XapiStatement.id)
            .limit(BATCH)
        )
    )
    claimed = []
    for row in due:
        moved = db.session.execute(
            update(XapiStatement)
            .where(
                XapiStatement.id == row.id,
                XapiStatement.status == StatementStatus.PENDING.value,
                XapiStatement.next_attempt_at == row.next_attempt_at,
            )
            .values(next_attempt_at=now + CLAIM)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    db.session.commit()
    for row in claimed:
        db.session.refresh(row)
    return claimed


def _mark_sent(rows: list[XapiStatement]) -> None:
    now = utcnow()
    for row in rows:
        row.status = StatementStatus.SENT.value
        row.sent_at = now
        row.last_error = None
        row.attempts += 1


def _retry_later(rows: list[XapiStatement], error: str) -> None:
    now = utcnow()
    for row in rows:
        row.attempts += 1
        row.last_error = error[:2000]
        row.next_attempt_at = now + backoff(row.attempts)


def _put_each(settings: Settings, rows: list[XapiStatement]) -> None:
    for row in rows:
        try:
            answer = requests.put(
                _endpoint(settings),
                params={"statementId": row.statement_id},
                json=row.body,
                auth=_auth(settings),
                headers=VERSION_HEADER,
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            _retry_later([row], f"{type(error).__name__}: {error}")
            continue
        if answer.status_code in (200, 204, 409):
            _mark_sent([row])  # stored now, or already stored under this id
        elif 400 <= answer.status_code < 500 and answer.status_code not in (401, 403, 429):
            row.status = StatementStatus.REJECTED.value
            row.attempts += 1
            row.last_error = f"{answer.status_code}: {answer.text[:1500]}"
            log.error("the LRS refused statement %s: %s", row.statement_id, row.last_error)
        else:
            _retry_later([row], f"{answer.status_code}: {answer.text[:500]}")


def deliver(settings: Settings) -> int:
    """Send one batch of due statements; return how many the LRS now holds."""
    rows = _claim(utcnow())
    if not rows:
        return 0
    try:
        answer = requests.post(
            _endpoint(settings),
            json=[row.body for row in rows],
            auth=_auth(settings),
            headers=VERSION_HEADER,
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        _retry_later(rows, f"{type(error).__name__}: {error}")
        db.session.commit()
        log.warning("the LRS is unreachable (%s); %d statements wait", error, len(rows))
        return 0
    if answer.status_code in (200, 204):
        _mark_sent(rows)
    elif answer.status_code == 409 or (
        400 <= answer.status_code < 500 and answer.status_code not in (401, 403, 429)
    ):
        # Some ids are stored already, or one statement is refused: settle them one by one.
        _put_each(settings, rows)
    else:
        _retry_later(rows, f"{answer.status_code}: {answer.text[:500]}")
        log.warning("the LRS answered %s; %d statements wait", answer.status_code, len(rows))
    db.session.commit()
    return sum(1 for row in rows if row.status == StatementStatus.SENT.value)


def send_due(app: Flask) -> None:
    """Supervisor task: send due statements while there are some and the LRS takes them."""
    settings: Settings = app.config["ACADEMY"]
    if not settings.lrs_url:
        return
    for _ in range(10):
        if deliver(settings) < BATCH:
            return
