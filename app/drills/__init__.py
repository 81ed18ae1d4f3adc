"""Recurring drills that keep a certificate current: schedules, reminders, suspension.

`content.py` reads the `drills:` section of programme.yaml; `schedule.py` the calendar periods;
`status.py` computes every holder's drills in bulk from the evidence; `services.py` acts on it
(reminders through the outbox, completions as xAPI statements, suspension and restoration,
extension by drills) in `sweep`, which the supervisor task `tasks:sweep_periodically` runs.
"""

from __future__ import annotations

from flask import Flask

SUPERVISOR_TASK = "app.drills.tasks:sweep_periodically"


def init_app(app: Flask) -> None:
    """Register the drills pages, the sweep and the navigation condition."""
    from app import web
    from app.drills import models  # noqa: F401  (the table belongs to the metadata)
    from app.drills.views import bp, holds_certificate

    app.register_blueprint(bp)
    web.NAV_CONDITIONS["drills.mine"] = holds_certificate
    try:
        from app.sandboxes import supervisor
    except ImportError:  # no supervisor installed: `academy drills sweep` from cron instead
        return
    if SUPERVISOR_TASK not in supervisor.TASKS:
        supervisor.TASKS.append(SUPERVISOR_TASK)
