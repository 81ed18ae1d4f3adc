"""`academy quizzes regrade|close-expired|grant-attempt|bench` and `academy bench guessing`."""

from __future__ import annotations

import random
import statistics as stats
import sys
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.models import Role, User
from app.cli import bench as bench_group
from app.content import get_catalog
from app.content.questions import Quiz, quiz_section
from app.extensions import db
from app.quizzes import services
from app.quizzes.guessing import SEED, TRIALS
from app.quizzes.models import QuizAttempt
from app.quizzes.regrade import RegradePlan, apply_regrade, plan_regrade
from app.quizzes.statistics import quiz_statistics


@click.group("quizzes")
def quizzes() -> None:
    """Regrade quizzes, close expired attempts, grant attempts, measure speed."""


def _quiz(quiz_id: str) -> Quiz:
    quiz = quiz_section(get_catalog()).quizzes.get(quiz_id)
    if quiz is None:
        raise click.ClickException(f"no quiz {quiz_id!r}")
    return quiz


@quizzes.command("regrade")
@click.argument("quiz_id", required=False)
@click.option("--all", "every", is_flag=True, help="Regrade every quiz of the content.")
@click.option("--reason", required=True, help="Why: recorded in the regrade history.")
@click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
@with_appcontext
def regrade(quiz_id: str | None, every: bool, reason: str, dry_run: bool) -> None:
    """Regrade every submitted attempt of QUIZ_ID (or of every quiz, --all) as written now."""
    if every == (quiz_id is not None):
        raise click.UsageError("name one QUIZ_ID or pass --all")
    section = quiz_section(get_catalog())
    chosen = list(section.quizzes.values()) if every else [_quiz(str(quiz_id))]
    if every:
        for gone in _attempted_quiz_ids() - set(section.quizzes):
            click.echo(f"{gone}: no longer in the content; its attempts keep their grades")
    plans = [plan_regrade(quiz, None) for quiz in chosen]
    for plan in plans:
        _report(plan, prefix=f"{plan.quiz.id}: " if every else "")
    changing = sum(len(plan.score_changes) for plan in plans)
    checked = sum(plan.checked for plan in plans)
    if dry_run:
        click.echo(f"dry run: {changing} of {checked} attempt(s) would change")
        return
    # With --all, quizzes nobody has submitted get no history entry.
    done = [
        apply_regrade(plan, get_catalog(), None, reason)
        for plan in plans
        if plan.checked or not every
    ]
    db.session.commit()
    click.echo(
        f"regraded {sum(d.attempts_checked for d in done)} attempt(s) of {len(done)} quiz(zes), "
        f"{sum(d.attempts_changed for d in done)} changed"
    )


def _attempted_quiz_ids() -> set[str]:
    return set(db.session.scalars(select(QuizAttempt.quiz_id).distinct()))


def _report(plan: RegradePlan, prefix: str) -> None:
    for question_id, why in sorted(plan.skipped.items()):
        click.echo(
            f"{prefix}kept old points for {question_id} in {plan.kept[question_id]} "
            f"attempt(s): {why}"
        )
    for change in plan.score_changes:
        click.echo(
            f"{prefix}attempt {change.attempt.id} ({change.attempt.user.email}): "
            f"{change.old_score:g}% -> {change.new_score:g}%"
            + (" (pass changes)" if change.old_passed != change.new_passed else "")
        )


@quizzes.command("close-expired")
@with_appcontext
def close_expired() -> None:
    """Grade every attempt whose time limit has run out (pages also do this as they are used)."""
    closed = services.close_expired(get_catalog())
    db.session.commit()
    click.echo(f"closed {closed} expired attempt(s)")


@quizzes.command("grant-attempt")
@click.argument("email")
@click.argument("quiz_id")
@click.option("--reason", default="", help="Recorded with the grant.")
@with_appcontext
def grant_attempt(email: str, quiz_id: str, reason: str) -> None:
    """Give the trainee EMAIL one more attempt at QUIZ_ID."""
    quiz = _quiz(quiz_id)
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email!r}")
    services.grant_extra_attempt(user.id, quiz.id, None, reason)
    db.session.commit()
    click.echo(f"{user.email} may take {quiz.id} once more")


@quizzes.command("bench")
@click.option("--trainees", default=50, show_default=True, help="Synthetic trainees per quiz.")
@with_appcontext
def bench(trainees: int) -> None:
    """Time start, submit and statistics on synthetic attempts, then roll everything back."""
    catalog = get_catalog()
    # Not for secrets: a fixed seed makes two benchmark runs answer alike.
    rng = random.Random(7)  # noqa: S311
    timings: dict[str, list[float]] = {"start": [], "submit": [], "statistics": []}

    def timed(name: str, begun: float) -> None:
        timings[name].append((time.perf_counter() - begun) * 1000)

    try:
        people = [
            User(
                email=f"bench-{n}@bench.invalid",
                full_name=f"Bench {n}",
                role=Role.TRAINEE.value,
                password_hash="!",  # noqa: S106 - no password matches: nobody can log in
            )
            for n in range(trainees)
        ]
        db.session.add_all(people)
        db.session.flush()
        for quiz in quiz_section(catalog).quizzes.values():
            for user in people:
                begun = time.perf_counter()
                attempt = services.start_attempt(user.id, quiz, catalog)
                timed("start", begun)
                raw = {
                    item.question.id: _random_answer(item, rng)
                    for item in services.paper_of(attempt)
                }
                begun = time.perf_counter()
                services.submit(attempt, raw, catalog)
                timed("submit", begun)
            begun = time.perf_counter()
            quiz_statistics(quiz, None)
            timed("statistics", begun)
    finally:
        db.session.rollback()
    for name, values in timings.items():
        if values:
            click.echo(
                f"{name:<11} n={len(values):<5} median={stats.median(values):7.2f} ms  "
                f"max={max(values):7.2f} ms"
            )


def _random_answer(item: services.PaperItem, rng: random.Random) -> list[str]:
    question = item.question
    if question.type == "truefalse":
        return [rng.choice(["true", "false"])]
    if question.type == "single":
        return [rng.choice(item.options)]
    if question.type == "multiple":
        return rng.sample(item.options, rng.randint(1, len(item.options)))
    if question.type == "ordering":
        return rng.sample(item.options, len(item.options))
    if question.type == "numeric":
        return [str(question.answer if rng.random() < 0.6 else question.answer + 1)]
    return [question.answer[0] if rng.random() < 0.6 else "no idea"]


@click.command("guessing")
@click.option("--quiz", "quiz_ids", multiple=True, help="Only this quiz (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object keyed by quiz id.")
@click.option("--check", is_flag=True, help="Exit 1 when a quiz misses a target.")
@click.option("--trials", default=TRIALS, show_default=True, type=click.IntRange(50, 200_000))
@click.option("--seed", default=SEED, show_default=True, type=int)
@click.option(
    "--legacy",
    is_flag=True,
    help="Simulate the engine before retakes stopped leaking (plain draw, keys in reviews).",
)
@click.option("--sweep", is_flag=True, help="Also show the knowers' pass rates per pass mark.")
def bench_guessing(
    quiz_ids: tuple[str, ...],
    as_json: bool,
    check: bool,
    trials: int,
    seed: int,
    legacy: bool,
    sweep: bool,
) -> None:
    """Estimate how often guessing and partial knowledge pass each quiz (Monte Carlo)."""
    from app.quizzes.guessing_report import run_bench

    code = run_bench(quiz_ids, as_json, check, trials, seed, legacy, sweep, click.echo)
    if code:
        sys.exit(code)


bench_group.add_command(bench_guessing)

commands = [quizzes]
