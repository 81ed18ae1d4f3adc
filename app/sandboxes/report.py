"""The worker's word on the engine, for processes that have no engine of their own.

Under docker-compose.yml only the worker (and the terminal sockets server) may talk to the Docker
engine; the web process gets no socket. It still has to say whether labs can run (the Start
button, the sandbox page) and show the admin page, so the supervisor writes what it knows every
REPORT_SECONDS to `<instance>/status/engine.json` (the instance folder is shared by the
services; `status/` is left out of backups), and a process with `ACADEMY_SANDBOX_ENGINE=worker`
reads that file instead of asking the engine. A report older than STALE_SECONDS means the
worker is not running, and labs are then unavailable with that reason.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask

from app.config import Settings
from app.sandboxes.firewall import FirewallState, firewall_for

log = logging.getLogger("academy.sandboxes")

REPORT_SECONDS = 5.0
STALE_SECONDS = 60.0
_written_at: list[float] = [float("-inf")]


def report_path(settings: Settings) -> Path:
    """Return where the worker writes its report."""
    return settings.instance_dir / "status" / "engine.json"


def reports_from_worker(settings: Settings) -> bool:
    """Tell whether this process has no engine and reads the worker's report instead."""
    return settings.sandbox_engine == "worker"


def gather(app: Flask) -> dict[str, Any]:
    """Ask the engine (through the runtime's cached verdict) what the report says."""
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    settings: Settings = app.config["ACADEMY"]
    problem: str | None = None
    version = disks = ""
    try:
        runtime = get_runtime(app)
        disks = runtime.disks.describe()
        version = runtime.engine_version()
    except SandboxUnavailable as unavailable:
        problem = unavailable.reason
    except Exception as error:  # the engine went away since the runtime's cached verdict
        problem = f"The Docker engine is not answering ({error}). Labs are unavailable."
    firewall = firewall_for(settings).state()
    return {
        "written_at": time.time(),
        "problem": problem,
        "version": version,
        "disks": disks,
        "firewall": {
            "active": firewall.active,
            "reason": firewall.reason,
            "rules": list(firewall.rules),
            "checked_at": firewall.checked_at,
        },
    }


def write(app: Flask) -> Path:
    """Write the report now (atomically: readers never see half a file)."""
    path = report_path(app.config["ACADEMY"])
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(gather(app))
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".engine-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(body)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_periodically(app: Flask) -> None:
    """Supervisor task: refresh the report every REPORT_SECONDS."""
    if time.monotonic() - _written_at[0] < REPORT_SECONDS:
        return
    _written_at[0] = time.monotonic()
    try:
        write(app)
    except OSError as error:
        log.warning("could not write the engine report: %s", error)


def read(settings: Settings) -> dict[str, Any] | None:
    """Return the worker's last report, or None when there is none (or it cannot be read)."""
    try:
        found = json.loads(report_path(settings).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def reported_problem(settings: Settings, now: float | None = None) -> str | None:
    """Return why labs cannot run according to the worker, or None when they can."""
    report = read(settings)
    if report is None:
        return (
            "The sandbox worker has not reported on the Docker engine yet, so labs are "
            "unavailable until `academy worker` runs."
        )
    age = (time.time() if now is None else now) - float(report.get("written_at") or 0)
    if age > STALE_SECONDS:
        return (
            f"The sandbox worker has not reported for {int(age)} s, so labs are unavailable "
            "until it runs again."
        )
    problem = report.get("problem")
    return str(problem) if problem else None


def reported_firewall(settings: Settings) -> FirewallState:
    """Return the firewall's state as the worker last saw it."""
    found = (read(settings) or {}).get("firewall") or {}
    if not found:
        return FirewallState(False, "the sandbox worker has not reported yet")
    return FirewallState(
        bool(found.get("active")),
        str(found.get("reason") or ""),
        tuple(str(rule) for rule in found.get("rules") or ()),
        float(found.get("checked_at") or 0.0),
    )
