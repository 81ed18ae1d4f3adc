"""Outgoing notices: written to an outbox with the change that causes them, sent by the worker.

`notify(to, subject, body)` is what features call; `outbox.send_due` (a supervisor task) sends
after commit through SMTP (`mail.deliver`: STARTTLS and authentication when configured), or
writes the notice to the log when no SMTP host is set.
"""

from __future__ import annotations

from flask import Flask

from app.notifications.outbox import notify

__all__ = ["notify"]

# The supervisor sends due notices on every tick (the web process's or `academy worker`'s).
SUPERVISOR_TASK = "app.notifications.outbox:send_due"


def init_app(app: Flask) -> None:
    """Register the outbox sender with the supervisor."""
    try:
        from app.sandboxes import supervisor
    except ImportError:  # no supervisor installed: nothing would send the outbox
        return
    if SUPERVISOR_TASK not in supervisor.TASKS:
        supervisor.TASKS.append(SUPERVISOR_TASK)
