"""`academy images`, `academy sandboxes`, `academy worker` and `academy bench sandboxes`."""

from __future__ import annotations

import json
import os
import signal
import sys
from types import FrameType

import click
import docker
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli import bench
from app.config import ROOT
from app.extensions import db

# -- images (plain commands: no app or database needed) ---------------------------------------


def _docker_client() -> docker.DockerClient:
    url = os.environ.get("ACADEMY_DOCKER_URL") or None
    try:
        return docker.DockerClient(base_url=url) if url else docker.from_env()
    except docker.errors.DockerException as error:
        raise click.ClickException(
            f"the Docker engine is unreachable ({error}); "
            "start it (dockerd) or set ACADEMY_DOCKER_URL"
        ) from None


# How the base image was obtained, in words (ensure_base_image's answer).
BASE_PATHS = {
    "present": "already on this machine",
    "pulled": "pulled from a registry",
    "debootstrap": "built locally from the Debian archive with debootstrap (air-gapped mode)",
}


@click.group("images")
def images() -> None:
    """Build and inspect the lab images."""


@images.command("build")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild even when the files have not changed.")
@click.option("--verbose", is_flag=True, help="Show every line of the build output.")
def images_build(names: tuple[str, ...], force: bool, verbose: bool) -> None:
    """Build the lab images (all, or those NAMEd), making the Debian base image if needed."""
    from app.sandboxes.images import BASE_IMAGE, ImageBuildError, build_images, ensure_base_image

    client = _docker_client()
    try:
        how = ensure_base_image(client, click.echo)
        path = BASE_PATHS.get(how, how)
        click.echo(f"base image {BASE_IMAGE}: {path}")
        built = build_images(
            client, ROOT / "labs", click.echo, list(names) or None, force=force, verbose=verbose
        )
    except (ImageBuildError, ValueError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None
    for image in built:
        state = "up to date" if image.skipped else f"built in {image.seconds} s"
        click.echo(f"{image.name}: {state} ({image.id[7:19]})")


@images.command("status")
def images_status() -> None:
    """Show whether each lab image exists and matches its files."""
    from app.sandboxes.images import BASE_IMAGE, image_status

    client = _docker_client()
    try:
        client.images.get(BASE_IMAGE)
        click.echo(f"base image {BASE_IMAGE}: present")
    except Exception:
        click.echo(f"base image {BASE_IMAGE}: missing (academy images build makes it)")
    for status in image_status(client, ROOT / "labs"):
        if not status.exists:
            state = "missing: run `academy images build`"
        elif status.up_to_date:
            state = f"up to date ({(status.id or '')[7:19]})"
        else:
            state = "out of date: its files changed; run `academy images build`"
        click.echo(f"{status.name}: {state}")


# -- sandboxes ----------------------------------------------------------------------------------


@click.group("sandboxes")
def sandboxes() -> None:
    """List, destroy and prune sandboxes."""


@sandboxes.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include destroyed and failed ones.")
@with_appcontext
def sandboxes_list(show_all: bool) -> None:
    """List sandboxes with their state."""
    from app.sandboxes.models import FINISHED, Sandbox

    query = select(Sandbox).order_by(Sandbox.created_at)
    if not show_all:
        query = query.where(Sandbox.status.notin_([s.value for s in FINISHED]))
    rows = list(db.session.scalars(query))
    for sandbox in rows:
        owner = f"user {sandbox.owner_id}" if sandbox.owner_id else "pool"
        detail = sandbox.error or sandbox.warning or sandbox.progress
        click.echo(
            f"{sandbox.id}  {sandbox.status:<9} {owner:<10} {sandbox.profile:<28} "
            f"{sandbox.created_at:%Y-%m-%d %H:%M}  {detail}"
        )
    if not rows:
        click.echo("no sandboxes")


@sandboxes.command("destroy")
@click.argument("sandbox_id", required=False)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Destroy every sandbox of this platform (before taking it down for good).",
)
@with_appcontext
def sandboxes_destroy(sandbox_id: str | None, every: bool) -> None:
    """Destroy one sandbox (or, with --all, every one) now."""
    from app.sandboxes import services
    from app.sandboxes.models import Sandbox, SandboxStatus
    from app.sandboxes.reaper import destroy_sandbox
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    if every == bool(sandbox_id):
        raise click.UsageError("name one SANDBOX_ID, or give --all")
    try:
        get_runtime(current_app._get_current_object(), images=[])  # type: ignore[attr-defined]
    except SandboxUnavailable as problem:
        raise click.ClickException(problem.reason) from None
    if every:
        ids = list(
            db.session.scalars(
                select(Sandbox.id).where(Sandbox.status != SandboxStatus.DESTROYED.value)
            )
        )
    else:
        sandbox = services.sandbox_for(sandbox_id or "")
        if sandbox is None:
            raise click.ClickException(f"no sandbox {sandbox_id}")
        ids = [sandbox.id]
    for found in ids:
        services.release(found)
        db.session.commit()
        destroy_sandbox(found)
        click.echo(f"destroyed {found}")
    if every:
        click.echo(f"destroyed {len(ids)} sandbox(es)")


@sandboxes.command("prune")
@click.option("--pool", is_flag=True, help="Also destroy the warm pool.")
@with_appcontext
def sandboxes_prune(pool: bool) -> None:
    """Reconcile with the engine: remove orphans, mark dead sandboxes, destroy expired ones."""
    from app.sandboxes.models import Sandbox, SandboxStatus
    from app.sandboxes.reaper import destroy_sandbox, reconcile
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        get_runtime(app, images=[])
    except SandboxUnavailable as problem:
        raise click.ClickException(problem.reason) from None
    done = reconcile(app)
    if pool:
        for sandbox in db.session.scalars(
            select(Sandbox).where(Sandbox.status == SandboxStatus.WARM.value)
        ):
            sandbox.status = SandboxStatus.EXPIRED.value
        db.session.commit()
    expired = list(
        db.session.scalars(select(Sandbox.id).where(Sandbox.status == SandboxStatus.EXPIRED.value))
    )
    for sandbox_id in expired:
        destroy_sandbox(sandbox_id)
    click.echo(
        f"removed {done.get('orphans', 0)} orphaned, marked {done.get('failed', 0)} failed, "
        f"released {done.get('disks', 0)} stray disks, destroyed {len(expired)} expired"
    )


@sandboxes.command("firewall")
@click.option("--check", is_flag=True, help="Only verify the rules; change nothing.")
@with_appcontext
def sandboxes_firewall(check: bool) -> None:
    """Install (or verify) the rules that fence sandbox networks off this host."""
    from app.sandboxes.firewall import firewall_for

    firewall = firewall_for(current_app.config["ACADEMY"])
    state = firewall.check() if check else firewall.install()
    for rule in state.rules:
        click.echo(rule)
    if not state.active:
        raise click.ClickException(f"host isolation is not active: {state.reason}")
    click.echo(f"host isolation: {state.reason}")


# -- worker -------------------------------------------------------------------------------------


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run the sandbox supervisor in the foreground (production: beside web workers)."""
    from app.sandboxes.supervisor import Supervisor

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    supervisor = Supervisor(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        click.echo(f"stopping (signal {signum})", err=True)
        supervisor.halt()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("supervisor running; stop with Ctrl-C or SIGTERM")
    supervisor.run()
    supervisor.stop()


# -- benchmark ----------------------------------------------------------------------------------


@click.command("sandboxes")
@click.option("--runs", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--fill",
    default=150,
    show_default=True,
    type=click.IntRange(0, 2000),
    help="Start idle sandboxes until this many hosts run at once (or a limit); 0 skips it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_sandboxes(runs: int, fill: int, as_json: bool) -> None:
    """Time claim-to-ready (warm and cold), idle cost, and capacity by filling the machine."""
    from app.sandboxes.bench import run_benchmark

    try:
        figures = run_benchmark(runs, log=(lambda line: click.echo(line, err=True)), fill=fill)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(figures.as_json()))
    else:
        for line in figures.lines():
            click.echo(line)
    sys.stdout.flush()


bench.add_command(bench_sandboxes)

commands = [images, sandboxes, worker]
