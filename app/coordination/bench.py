"""`academy bench matrix`: render a large cohort's progress matrix and time it.

The benchmark builds its own data in a scratch database (a temporary SQLite file unless a
database URL is given), so it never touches real records.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, func, inspect, select
from werkzeug.security import generate_password_hash

from app.auth.models import Role, User
from app.certification.models import AcknowledgmentSignature, Attestation
from app.certification.rules import rules_of
from app.clock import utcnow
from app.config import ROOT, Settings
from app.content import Catalog, get_catalog
from app.coordination.models import Cohort, CohortCoordinator, CohortMember
from app.coordination.progress import day_quiz_ids, installed
from app.extensions import db
from app.learning.models import LessonProgress

PASSWORD = "bench password that is long enough"  # noqa: S105 - scratch accounts only


@dataclass(frozen=True)
class BenchResult:
    """What one benchmark run measured."""

    trainees: int
    runs: int
    p50_ms: float
    p95_ms: float
    queries: int
    database: str

    def as_json(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready mapping."""
        return {
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "trainees": self.trainees,
            "runs": self.runs,
            "queries_per_render": self.queries,
            "database": self.database,
        }


def bench_matrix(trainees: int, runs: int, database_url: str | None = None) -> BenchResult:
    """Build a cohort of trainees in a scratch database and time the matrix page."""
    import flask_migrate

    from app import create_app

    scratch = tempfile.mkdtemp(prefix="academy-bench-")
    # Quiet the request log while rendering hundreds of pages, and give its level back after.
    request_log = logging.getLogger("academy.request")
    level = request_log.level
    try:
        env = {**os.environ, "ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": scratch}
        env["ACADEMY_DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
        settings = Settings.from_env(env)
        app = create_app(settings, {"WTF_CSRF_ENABLED": False})
        request_log.setLevel(logging.WARNING)
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
            if db.session.scalar(select(func.count(User.id))):
                raise RuntimeError(
                    "the database is not empty: give the benchmark a scratch database"
                )
            cohort_id, coordinator_email = seed_cohort(get_catalog(), trainees)
            db.session.commit()
        try:
            return _measure(app, cohort_id, coordinator_email, trainees, runs)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        request_log.setLevel(level)
        shutil.rmtree(scratch, ignore_errors=True)


def _measure(app: Flask, cohort_id: int, email: str, trainees: int, runs: int) -> BenchResult:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as the coordinator (status {response.status_code})")
    path = f"/team/cohorts/{cohort_id}"
    for _ in range(3):
        _render(client, path)
    with app.app_context():
        engine = db.engine
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        _render(client, path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        _render(client, path)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = (
        statistics.quantiles(timings, n=20, method="inclusive")[-1]
        if len(timings) > 1
        else timings[0]
    )
    return BenchResult(
        trainees=trainees,
        runs=runs,
        p50_ms=round(statistics.median(timings), 1),
        p95_ms=round(p95, 1),
        queries=statements[0],
        database=engine.dialect.name,
    )


def _render(client: Any, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")


def scratch_cohort(
    members: int, *, name: str, member_word: str, start_date: date
) -> tuple[User, Cohort, list[User]]:
    """Create a benchmark's coordinator and a cohort of `members` trainee accounts (e-mails
    `<member_word>NNNN@bench.test`, one password for all); flush only."""
    password_hash = generate_password_hash(PASSWORD)
    coordinator = User(
        email="coordinator@bench.test",
        full_name="Bench Coordinator",
        role=Role.COORDINATOR.value,
        password_hash=password_hash,
    )
    cohort = Cohort(name=name, start_date=start_date)
    db.session.add_all([coordinator, cohort])
    db.session.flush()
    db.session.add(CohortCoordinator(cohort_id=cohort.id, user_id=coordinator.id))
    people = [
        User(
            email=f"{member_word}{n:04d}@bench.test",
            full_name=f"{member_word.title()} {n:04d}",
            role=Role.TRAINEE.value,
            password_hash=password_hash,
        )
        for n in range(members)
    ]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=p.id) for p in people)
    return coordinator, cohort, people


def seed_cohort(catalog: Catalog, trainees: int, today: date | None = None) -> tuple[int, str]:
    """Create a coordinator and a cohort of trainees spread over the programme; flush only."""
    today = today or utcnow().date()
    coordinator, cohort, people = scratch_cohort(
        trainees, name="Bench cohort", member_word="trainee", start_date=today - timedelta(days=9)
    )
    now = utcnow()
    rules = rules_of(catalog)
    ack = rules.acknowledgment
    with_quizzes = installed("quizzes")
    with_labs = installed("labs") and "lab_sessions" in inspect(db.engine).get_table_names()
    rows: list[Any] = []
    for n, person in enumerate(people):
        days_done = n % (len(catalog.days) + 1)
        for day in catalog.days[:days_done]:
            rows.extend(
                _lesson(person.id, lesson.id, day.id, catalog.version, now)
                for lesson in day.lessons
            )
        if days_done < len(catalog.days):
            day = catalog.days[days_done]
            half = day.lessons[: len(day.lessons) // 2]
            rows.extend(
                _lesson(person.id, lesson.id, day.id, catalog.version, now) for lesson in half
            )
        for k in range(n % 4):
            kind = "shadow_shift" if k % 2 == 0 else "incident_response"
            status = "approved" if k < 2 else "pending"
            rows.append(
                Attestation(
                    user_id=person.id,
                    kind=kind,
                    occurred_on=today - timedelta(days=k + 1),
                    counterpart="On-call engineer",
                    description="Watched the on-call engineer handle the night's alerts.",
                    status=status,
                    review_comment="",
                )
            )
        if ack is not None and n % 2 == 0:
            rows.append(
                AcknowledgmentSignature(
                    user_id=person.id,
                    acknowledgment_id=ack.id,
                    version=ack.version,
                    text_sha256=ack.sha256,
                    typed_name=person.full_name,
                    ip_address="127.0.0.1",
                    signed_at=now,
                )
            )
        if with_quizzes:
            rows.extend(_quiz_rows(catalog, person.id, days_done, now))
        if with_labs:
            rows.extend(_lab_rows(catalog, person.id, n, now, days_done))
    db.session.add_all(rows)
    db.session.flush()
    return cohort.id, coordinator.email


def _lesson(user_id: int, lesson_id: str, day_id: str, version: str, now: Any) -> LessonProgress:
    return LessonProgress(
        user_id=user_id,
        lesson_id=lesson_id,
        day_id=day_id,
        seconds_spent=300,
        first_opened_at=now,
        completed_at=now,
        content_version=version,
    )


def _quiz_rows(catalog: Catalog, user_id: int, days_done: int, now: Any) -> list[Any]:
    from app.quizzes.models import QuizAttempt

    quizzes = day_quiz_ids(catalog, True)
    rows = []
    for number, day in enumerate(catalog.days[:days_done], start=1):
        quiz_id = quizzes.get(day.id)
        if quiz_id is None:
            continue
        rows.append(
            QuizAttempt(
                user_id=user_id,
                quiz_id=quiz_id,
                kind="day",
                day_id=day.id,
                number=1,
                content_version=catalog.version,
                paper={"seed": number, "questions": []},
                pass_mark=70.0,
                started_at=now,
                submitted_at=now,
                answers={},
                results={},
                score=90.0,
                passed=True,
            )
        )
    return rows


def _lab_rows(catalog: Catalog, user_id: int, n: int, now: Any, days_done: int) -> list[Any]:
    """Sessions of some required labs (a third of them not completed), and a passed session of
    every lab of the days the trainee has done (a day is complete only with its labs)."""
    from app.labs.models import LabSession

    required = rules_of(catalog).lab_slugs
    tried = required[: n % (len(required) + 1)]
    day_labs = [slug for day in catalog.days[:days_done] for slug in day.lab_slugs]
    slugs = list(dict.fromkeys([*tried, *day_labs]))
    return [
        LabSession(
            user_id=user_id,
            lab_slug=slug,
            seed=n * 100 + k,
            values={},
            answers={},
            status="finished",
            content_version=catalog.version,
            progress="",
            progress_percent=100,
            started_at=now,
            expires_at=now,
            completed_at=now if k % 3 != 2 or slug in day_labs else None,
            finished_at=now,
        )
        for k, slug in enumerate(slugs)
    ]
