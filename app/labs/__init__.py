"""Labs: sessions in sandboxes, the check runner, continuous checking and the evidence."""

from __future__ import annotations

from flask import Flask

# The supervisor calls this on every tick: sandbox ready → setup, queued checks → run.
SUPERVISOR_TASK = "app.labs.jobs:tick"
# And this every 0.1 s, so that a Check press does not wait for a whole tick.
QUICK_TASK = "app.labs.jobs:pick_up_checks"
# The warm pool keeps sandboxes of every lab's host set ready.
PROFILE_SOURCE = "app.labs.jobs:lab_profiles"


def init_app(app: Flask) -> None:
    """Register the lab pages and the labs' supervisor task."""
    from app.labs.views import bp

    app.register_blueprint(bp)
    try:
        from app.sandboxes import pool, supervisor
    except ImportError:  # sandboxes not installed: the lab pages say labs are unavailable
        return
    if SUPERVISOR_TASK not in supervisor.TASKS:
        supervisor.TASKS.append(SUPERVISOR_TASK)
    if QUICK_TASK not in supervisor.QUICK_TASKS:
        supervisor.QUICK_TASKS.append(QUICK_TASK)
    if PROFILE_SOURCE not in pool.PROFILE_SOURCES:
        pool.PROFILE_SOURCES.append(PROFILE_SOURCE)
