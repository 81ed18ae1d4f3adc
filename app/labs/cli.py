"""`academy labs test|list` and `academy bench checks`."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli import bench
from app.content import ContentError, get_catalog
from app.content.labs import Forgery, Lab, labs_of


@click.group("labs")
def labs() -> None:
    """Prove and list the practical labs."""


def _labs(slugs: tuple[str, ...]) -> list[Lab]:
    try:
        catalog = get_catalog()
    except ContentError as error:
        raise click.ClickException(f"content errors:\n{error}") from None
    known = labs_of(catalog)
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise click.ClickException(f"no such lab: {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[s] for s in slugs] if slugs else list(known.values())


@labs.command("list")
@with_appcontext
def list_labs() -> None:
    """List the labs with their day, hosts, tasks and checks."""
    for lab in _labs(()):
        kinds = sorted({c.kind for c in lab.checks})
        click.echo(
            f"{lab.id:<20} {lab.day_id:<8} {len(lab.hosts)} host(s)  {len(lab.tasks)} task(s)  "
            f"{len(lab.checks)} check(s) [{', '.join(kinds)}]  {lab.title}"
        )


@labs.command("test")
@click.argument("slugs", nargs=-1)
@click.option(
    "--runs", default=2, show_default=True, type=click.IntRange(1, 20), help="Proofs per lab."
)
@click.option(
    "--jobs", default=3, show_default=True, type=click.IntRange(1, 8), help="Proofs run at once."
)
@click.option("--verbose", is_flag=True, help="Say what each run drew and did.")
@with_appcontext
def test(slugs: tuple[str, ...], runs: int, jobs: int, verbose: bool) -> None:
    """Prove labs in fresh sandboxes: setup, checks fail, solve, checks pass; exit 1 on problems."""
    from app.labs.proving import Proof, forgery_coverage, prove, prove_forgery

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    chosen = _labs(slugs)
    say = click.echo if verbose else None
    units: list[tuple[Lab, int, Forgery | None]] = [
        (lab, number, forgery)
        for number in range(1, runs + 1)
        for lab in chosen
        for forgery in (None, *lab.forgeries)
    ]

    def prove_one(unit: tuple[Lab, int, Forgery | None]) -> Proof:
        lab, number, forgery = unit
        if forgery is None:
            proof = prove(app, lab, number, say)
        else:
            proof = prove_forgery(app, lab, forgery, number, say)
        click.echo(proof.line())
        for problem in proof.problems:
            click.echo(f"    {lab.id}: {problem}", err=True)
        return proof

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        proofs = list(pool.map(prove_one, units))
    short = [f"{lab.id}: {problem}" for lab in chosen for problem in forgery_coverage(lab)]
    for problem in short:
        click.echo(f"    {problem}", err=True)
    click.echo("")
    click.echo(f"{'lab':<20} {'setup s':>8} {'check s':>8} {'solve s':>8} {'verdict':>8}")
    for lab in chosen:
        mine = [p for p in proofs if p.lab == lab.id]
        plain = [p for p in mine if not p.forgery] or mine
        setup = max(p.setup_seconds for p in plain)
        check = max(max(p.check_before_seconds, p.check_after_seconds) for p in plain)
        solve = max(p.solve_seconds for p in plain)
        verdict = "ok" if all(p.ok for p in mine) else "FAILED"
        click.echo(f"{lab.id:<20} {setup:>8.1f} {check:>8.1f} {solve:>8.1f} {verdict:>8}")
    failed = [p for p in proofs if not p.ok]
    if failed or short:
        # Again at the end, where a CI log's tail shows it: what went wrong in each failed run.
        for proof in failed:
            for problem in proof.problems:
                click.echo(f"  {proof.lab} ({proof.forgery or 'reference'}): {problem}", err=True)
        click.echo(f"{len(failed)} of {len(proofs)} proof run(s) failed", err=True)
        if short:
            click.echo(f"{len(short)} problem(s) with the labs' forgeries", err=True)
        sys.exit(1)
    forged = sum(1 for p in proofs if p.forgery)
    click.echo(
        f"all {len(proofs)} proof run(s) of {len(chosen)} lab(s) passed "
        f"({forged} forgery replays refused)"
    )


@click.command("checks")
@click.option(
    "--lab",
    "slug",
    default="slow-query",
    show_default=True,
    help="The lab whose first task is checked.",
)
@click.option("--presses", default=20, show_default=True, type=click.IntRange(2, 500))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def bench_checks(slug: str, presses: int, as_json: bool) -> None:
    """Time Check presses end to end (press → result) and raw check execution; print p50/p95."""
    from app.labs.bench import bench_checks as run

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lab = _labs((slug,))[0]
    try:
        result = run(app, lab, presses)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(result.report())


bench.add_command(bench_checks)

commands = [labs]
