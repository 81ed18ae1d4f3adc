"""`academy bench labs`: Start press → the terminal's first prompt, with prepared sandboxes.

The benchmark builds its own platform on a scratch SQLite database (its own sandbox scope) and
serves it for real: the web app and, as `academy sockets` does in production, a second server
for the terminal sockets, both on loopback, with the supervisor running in this process. A
simulated browser (the load bench's) logs in and, for each start, does what a browser does:
posts the Start form, follows the redirect to the lab page (polling the lab's status and
reloading as `lab.js` does while a session is still starting), loads the page's scripts, asks the
sandbox's status as `terminal.js` does, opens the terminal socket on the sockets server with the
page's cookie and Origin, and stops the clock at the first output bytes that end in a prompt.

Each lab's first start has no demand behind it, so it is a cold start (today's path: a warm
plain sandbox, then the lab's setup); it makes the lab wanted, and the supervisor prepares
sandboxes for it. Every later start waits (unmeasured) until a prepared one is ready, so the
figures are those of pooled starts; a start that found none is counted as a miss.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from simple_websocket import Client, ConnectionClosed

from app.cli import bench
from app.loadbench.actors import start_poll
from app.loadbench.browser import BenchError, Browser
from app.loadbench.pages import read_page
from app.loadbench.stats import Recorder, percentile
from app.loadbench.terminals import socket_url

START_TIMEOUT = 300.0
PREPARED_TIMEOUT = 600.0
PROMPT_TIMEOUT = 30.0
PASSWORD = "bench-password-123"  # noqa: S105 - a scratch account on a scratch database
# The end of bash's prompt ("…$ " or "…# "), with the bracketed-paste switch bash may send after.
PROMPT = re.compile(rb"[$#] (\x1b\[\?2004h)?$")
SCRIPT = re.compile(r'<script src="([^"]+)"')


@dataclass
class StartTiming:
    """One Start press, timed."""

    lab: str
    pooled: bool
    start_to_prompt: float
    start_to_first_output: float
    session_id: int


@dataclass
class LabsBench:
    """Every start the benchmark made."""

    labs: list[str]
    starts_per_lab: int
    timings: list[StartTiming] = field(default_factory=list)
    misses: int = 0
    prepare_seconds: list[float] = field(default_factory=list)
    values_match: bool = True
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Return the figures as one JSON-ready object."""
        pooled = [t for t in self.timings if t.pooled]
        cold = [t for t in self.timings if not t.pooled]

        def p(values: list[float], q: float) -> float | None:
            found = percentile(values, q)
            return None if found is None else round(found, 3)

        prompt = [t.start_to_prompt for t in pooled]
        return {
            "labs": self.labs,
            "starts_per_lab": self.starts_per_lab,
            "pooled_starts": len(pooled),
            "start_to_prompt_p50_s": p(prompt, 50),
            "start_to_prompt_p95_s": p(prompt, 95),
            "start_to_prompt_max_s": p(prompt, 100),
            "start_to_first_output_p50_s": p([t.start_to_first_output for t in pooled], 50),
            "per_lab": {
                lab: {
                    "pooled_starts": len(mine := [t for t in pooled if t.lab == lab]),
                    "start_to_prompt_p50_s": p([t.start_to_prompt for t in mine], 50),
                    "start_to_prompt_p95_s": p([t.start_to_prompt for t in mine], 95),
                }
                for lab in self.labs
            },
            "cold_starts": len(cold),
            "cold_start_to_prompt_s": [round(t.start_to_prompt, 3) for t in cold],
            "misses": self.misses,
            "values_from_prepared": self.values_match,
            "prepare_p50_s": p(self.prepare_seconds, 50),
            "load_average_before": [round(x, 2) for x in self.load_before],
            "load_average_after": [round(x, 2) for x in self.load_after],
            "seconds": round(self.seconds, 1),
        }

    def report(self) -> str:
        """Return the human-readable summary."""
        d = self.as_json()
        lines = [
            f"labs {', '.join(self.labs)}: {d['pooled_starts']} pooled starts "
            f"({d['misses']} found no prepared sandbox), {d['cold_starts']} cold",
            f"  Start → first prompt (pooled): p50 {d['start_to_prompt_p50_s']} s, "
            f"p95 {d['start_to_prompt_p95_s']} s, max {d['start_to_prompt_max_s']} s",
            f"  Start → first terminal output (pooled): p50 {d['start_to_first_output_p50_s']} s",
            f"  cold starts (no prepared sandbox yet): {d['cold_start_to_prompt_s']} s",
            f"  preparing a sandbox (boot + setup): p50 {d['prepare_p50_s']} s",
            f"  session values are the prepared ones: {d['values_from_prepared']}",
            f"  load average {d['load_average_before']} before, {d['load_average_after']} after",
        ]
        return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bench_app(app: Flask, folder: Path, labs: int, web_port: int, sockets_port: int) -> Flask:
    import flask_migrate

    from app import create_app
    from app.config import ROOT

    settings = app.config["ACADEMY"].replace(
        database_url=f"sqlite:///{folder / 'bench.sqlite3'}",
        instance_dir=folder,
        # Cold starts take today's path (a warm plain sandbox, then the setup).
        sandbox_pool_size=1,
        supervisor_in_web=False,
        sockets_url=f"http://127.0.0.1:{sockets_port}",
        base_url=f"http://127.0.0.1:{web_port}",
        lab_prepared_per_lab=2,
        lab_prepared_total=2 * labs,
        lab_prepared_minutes=60,
        sandboxes_per_trainee=4,
    )
    bench_app = create_app(settings)
    with bench_app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
    return bench_app


class _Servers:
    """The web app and the sockets server, each a threaded Werkzeug server on loopback."""

    def __init__(self, app: Flask, web_port: int, sockets_port: int) -> None:
        from werkzeug.serving import make_server

        self.servers = [
            make_server("127.0.0.1", web_port, app, threaded=True),
            make_server("127.0.0.1", sockets_port, app, threaded=True),
        ]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()


def _prepared_ready(app: Flask, slug: str) -> int:
    from app.labs.warm import summary

    with app.app_context():
        return summary().get(slug, {}).get("ready", 0)


def _wait_prepared(app: Flask, slug: str) -> None:
    deadline = time.monotonic() + PREPARED_TIMEOUT
    while time.monotonic() < deadline:
        if _prepared_ready(app, slug):
            return
        time.sleep(0.5)
    raise BenchError(f"no prepared sandbox of {slug} was ready within {PREPARED_TIMEOUT:.0f} s")


def _open_terminal(browser: Browser, socket_base: str, path: str) -> tuple[float, float]:
    """Open the terminal socket; return when its first output and its prompt arrived."""
    url = socket_url(socket_base, path)
    headers = {
        "Cookie": browser.cookie_header(),
        "User-Agent": browser.user_agent,
        "Origin": browser.origin,
    }
    ws = Client.connect(url, headers=headers)
    first: float | None = None
    seen = b""
    try:
        deadline = time.monotonic() + PROMPT_TIMEOUT
        while time.monotonic() < deadline:
            try:
                message = ws.receive(timeout=1.0)
            except ConnectionClosed as closed:
                why = f"the terminal closed before its prompt ({closed.reason})"
                raise BenchError(why) from None
            if message is None or isinstance(message, str):
                continue
            now = time.perf_counter()
            first = first or now
            seen += message
            if PROMPT.search(seen):
                return first, now
        raise BenchError(f"no prompt within {PROMPT_TIMEOUT:.0f} s (got {seen[-80:]!r})")
    finally:
        ws.close()


def _one_start(browser: Browser, slug: str, sockets_base: str) -> tuple[float, float, int]:
    """Press Start as a browser would; return (to prompt, to first output, session id)."""
    started = time.perf_counter()
    reply = browser.post_form(f"/labs/{slug}/start", "lab start")
    if reply.status != 302 or "/labs/sessions/" not in reply.location:
        raise BenchError(f"Start was refused (status {reply.status})")
    workspace = urlsplit(reply.location).path
    session_id = int(workspace.rstrip("/").split("/")[-2])
    page = browser.get(workspace, "lab page")
    facts = read_page(page.text)
    deadline = time.monotonic() + START_TIMEOUT
    while not facts.socket_path:
        # Still starting: the page polls its status and reloads once the session is active.
        if time.monotonic() > deadline:
            raise BenchError(f"the session was not active within {START_TIMEOUT:.0f} s")
        # As the lab page polls while the session starts (lab.js).
        time.sleep(start_poll(time.perf_counter() - started))
        status = browser.get(f"/labs/sessions/{session_id}/status", "lab status").json()
        if isinstance(status, dict) and status.get("open") is False:
            raise BenchError(f"the session ended while starting: {status.get('error')}")
        if isinstance(status, dict) and status.get("status") == "active":
            page = browser.get(workspace, "lab page")
            facts = read_page(page.text)
    for script in SCRIPT.findall(page.text):
        browser.get(script, "script")
    sandbox_status = facts.socket_path.rsplit("/", 1)[0] + "/status"
    ready = browser.get(sandbox_status, "sandbox status").json()
    if not (isinstance(ready, dict) and ready.get("ready")):
        raise BenchError(f"the lab page showed a terminal for a sandbox not ready: {ready}")
    first, prompt = _open_terminal(browser, sockets_base, facts.socket_path)
    return prompt - started, first - started, session_id


def _finish(browser: Browser, session_id: int) -> None:
    reply = browser.post_form(f"/labs/sessions/{session_id}/finish", "lab finish")
    if reply.status != 302:
        raise BenchError(f"finishing session {session_id} failed (status {reply.status})")


def bench_labs(app: Flask, slugs: list[str], starts: int) -> LabsBench:
    """Start each lab `starts` times after a cold first start, and time every one."""
    from sqlalchemy import select

    from app.auth.models import Role
    from app.auth.services import create_user
    from app.clock import as_utc
    from app.extensions import db
    from app.labs.models import LabSession, PreparedLab
    from app.sandboxes.services import unavailable_reason
    from app.sandboxes.supervisor import Supervisor

    reason = unavailable_reason(app)
    if reason:
        raise BenchError(reason)
    folder = Path(tempfile.mkdtemp(prefix="academy-bench-labs-"))
    web_port, sockets_port = _free_port(), _free_port()
    bench_app = _bench_app(app, folder, len(slugs), web_port, sockets_port)
    result = LabsBench(slugs, starts, load_before=os.getloadavg())
    began = time.monotonic()
    supervisor = Supervisor(bench_app)
    supervisor.start()
    servers = _Servers(bench_app, web_port, sockets_port)
    browser = Browser(f"http://127.0.0.1:{web_port}", "ops-academy-bench-labs/1", Recorder())
    sockets_base = f"ws://127.0.0.1:{sockets_port}"
    try:
        with bench_app.app_context():
            create_user("bench-labs@academy.local", "Bench Trainee", PASSWORD, Role.TRAINEE)
            db.session.commit()
        browser.log_in("bench-labs@academy.local", PASSWORD)
        for round_ in range(starts + 1):
            for slug in slugs:
                if round_ > 0:
                    _wait_prepared(bench_app, slug)
                to_prompt, to_output, session_id = _one_start(browser, slug, sockets_base)
                with bench_app.app_context():
                    prepared = db.session.scalar(
                        select(PreparedLab).where(PreparedLab.session_id == session_id)
                    )
                    session = db.session.get(LabSession, session_id)
                    assert session is not None
                    if prepared is not None:
                        result.values_match &= (prepared.seed, prepared.values) == (
                            session.seed,
                            session.values,
                        )
                if round_ > 0 and prepared is None:
                    result.misses += 1
                result.timings.append(
                    StartTiming(slug, prepared is not None, to_prompt, to_output, session_id)
                )
                _finish(browser, session_id)
        with bench_app.app_context():
            for row in db.session.scalars(select(PreparedLab)).all():
                if row.ready_at is not None:
                    result.prepare_seconds.append(
                        (as_utc(row.ready_at) - as_utc(row.created_at)).total_seconds()
                    )
        result.load_after = os.getloadavg()
        result.seconds = time.monotonic() - began
        return result
    finally:
        browser.close()
        servers.stop()
        supervisor.stop()
        _destroy_all(bench_app)
        shutil.rmtree(folder, ignore_errors=True)


def _destroy_all(app: Flask) -> None:
    """Remove every sandbox of the benchmark's own scope (nobody else's)."""
    from app.sandboxes.runtime import get_runtime

    with app.app_context():
        runtime = get_runtime(app, images=[])
        for sandbox_id in runtime.list_sandbox_ids() | runtime.leftover_ids():
            runtime.destroy(sandbox_id)


@click.command("labs")
@click.option("--lab", "slugs", multiple=True, help="A lab to start (repeatable).")
@click.option("--starts", default=5, show_default=True, help="Pooled starts per lab.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def bench_labs_command(slugs: tuple[str, ...], starts: int, as_json: bool) -> None:
    """Time Start → the terminal's first prompt with prepared lab sandboxes."""
    from app.content import get_catalog
    from app.content.labs import labs_of

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    known = labs_of(get_catalog())
    chosen = list(slugs or ("outage-502", "slow-query"))
    unknown = [slug for slug in chosen if slug not in known]
    if unknown:
        raise click.BadParameter(f"no such lab: {', '.join(unknown)}", param_hint="--lab")
    from app.labs.warm import poolable

    unpooled = [slug for slug in chosen if not poolable(known[slug])]
    if unpooled:
        raise click.BadParameter(
            f"never prepared (its setup uses the session's id): {', '.join(unpooled)}",
            param_hint="--lab",
        )
    if starts < 1:
        raise click.BadParameter("at least 1", param_hint="--starts")
    try:
        result = bench_labs(app, chosen, starts)
    except BenchError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(result.as_json()) if as_json else result.report())


bench.add_command(bench_labs_command)
# Listed in app.cli.FEATURE_COMMANDS: the command above is added to `academy bench` on import.
commands: list[click.Command] = []
