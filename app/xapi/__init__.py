"""Learning records in the xAPI format, sent to the organisation's learning record store.

Features call the builders in `statements` (lesson completed, quiz attempted / passed / failed
with its score, lab task passed with its evidence link, certificate issued / revoked / suspended,
drill completed). `record()` writes each statement to the `xapi_statements` table in the caller's
transaction, only when an LRS is configured (`ACADEMY_LRS_URL`), so a statement exists exactly
when the change it reports was committed. The supervisor task `sender:send_due` posts them in
batches after commit, retrying with backoff while the LRS is down and never dropping one; each
statement carries a fixed id, so a retry after a lost answer is stored once.
"""

from __future__ import annotations

from flask import Flask

SUPERVISOR_TASK = "app.xapi.sender:send_due"


def init_app(app: Flask) -> None:
    """Register the statements table and the sender with the supervisor."""
    from app.sandboxes import supervisor
    from app.xapi import models  # noqa: F401  (the table belongs to the metadata)

    if SUPERVISOR_TASK not in supervisor.TASKS:
        supervisor.TASKS.append(SUPERVISOR_TASK)
