"""The supervisor task that sweeps drills: reminders, completions, suspension and extension."""

from __future__ import annotations

import logging
import time

from flask import Flask

from app.extensions import db

log = logging.getLogger("academy.drills")

# Drills move by days; a sweep every few minutes keeps reminders and restorations prompt.
SWEEP_SECONDS = 300.0
EXTENSION = "academy.drills_swept"


def sweep_periodically(app: Flask) -> None:
    """Supervisor task: every SWEEP_SECONDS, hand a sweep to the job pool (one at a time)."""
    last = app.extensions.get(EXTENSION, 0.0)
    if last and time.monotonic() - last < SWEEP_SECONDS:
        return
    app.extensions[EXTENSION] = time.monotonic()
    from app.sandboxes.supervisor import submit

    submit(run_sweep, app)


def run_sweep(app: Flask) -> None:
    """Sweep every holder's drills and commit (the job the task hands out)."""
    from app.content import get_catalog
    from app.drills.services import sweep

    with app.app_context():
        report = sweep(get_catalog())
        db.session.commit()
        if report.suspended or report.restored or report.reminders or report.overdue_notices:
            log.info(
                "drills swept: %d holders, %d reminders, %d overdue, %d done, "
                "suspended %s, restored %s, extended %s",
                report.holders,
                report.reminders,
                report.overdue_notices,
                report.completions,
                report.suspended,
                report.restored,
                report.extended,
            )
