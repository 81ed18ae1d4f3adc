"""`academy bench load`: drive a running server as a cohort would and print what it measured."""

from __future__ import annotations

import json
import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM ends the run like Ctrl-C does: through the clean-up that removes what it made.
    raise KeyboardInterrupt


@click.command("load")
@click.option(
    "--url",
    default=None,
    help="The platform's pages (default: ACADEMY_BASE_URL). Only 127.0.0.1 is accepted.",
)
@click.option(
    "--sockets-url",
    default=None,
    help="The process serving terminal sockets (default: where the lab page points them).",
)
@click.option("--trainees", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--terminals", default=50, show_default=True, type=click.IntRange(0, 500))
@click.option("--starts", default=20, show_default=True, type=click.IntRange(0, 200))
@click.option("--seconds", default=60, show_default=True, type=click.IntRange(5, 3600))
@click.option("--lab", default="slow-query", show_default=True, help="The lab trainees work on.")
@click.option(
    "--think",
    default=2.5,
    show_default=True,
    type=click.FloatRange(0.2, 120),
    help="A trainee's mean pause between page actions, in seconds.",
)
@click.option(
    "--terminals-per-session",
    default=None,
    type=click.IntRange(1, 50),
    help="Terminals each lab session holds (default: the per-user and per-sandbox caps).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def load(
    url: str | None,
    sockets_url: str | None,
    trainees: int,
    terminals: int,
    starts: int,
    seconds: int,
    lab: str,
    think: float,
    terminals_per_session: int | None,
    as_json: bool,
) -> None:
    """Drive a RUNNING server with simulated trainees, terminals and lab starts; print p50/p95.

    Scratch trainees are made in the server's database (run with the server's ACADEMY_*
    settings) and removed afterwards, with the sandboxes they started.
    """
    from app.loadbench.browser import BenchError
    from app.loadbench.scenario import LoadPlan, run_load
    from app.loadbench.stats import format_report

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["ACADEMY"]
    per_session = terminals_per_session or min(
        settings.terminals_per_user, settings.terminals_per_sandbox
    )
    plan = LoadPlan(
        url=url or settings.base_url,
        sockets_url=sockets_url or settings.sockets_url or None,
        trainees=trainees,
        terminals=terminals,
        starts=starts,
        seconds=float(seconds),
        lab=lab,
        think=think,
        terminals_per_session=per_session,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = run_load(app, plan, lambda line: click.echo(line, err=True))
    except BenchError as error:
        raise click.ClickException(str(error)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(format_report(report))
