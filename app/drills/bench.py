"""`academy bench drills`: the drill status of many certificate holders, as the coordinators'
view computes it, timed on scratch data.

The benchmark builds its own data in a scratch database (a temporary SQLite file unless a
database URL is given): a coordinator, one cohort of OPERATORS holders whose certificates were
issued over the last eleven months, and the evidence of their drills (lab sessions, quiz
attempts, attested activities), about nine in ten occurrences done, the rest missed. It then
times `load_statuses` for the coordinator's cohorts (the queries and the judging) and, for
reference, the whole `/team/drills` page.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, func, insert, select

from app.auth.models import User
from app.certification.certificates import add_months, new_code
from app.certification.models import Attestation, Certificate
from app.clock import utcnow
from app.config import ROOT, Settings
from app.content import Catalog, get_catalog
from app.coordination.bench import PASSWORD, scratch_cohort
from app.coordination.progress import installed
from app.drills.content import drill_rules
from app.drills.schedule import first_start, windows
from app.drills.status import load_statuses
from app.extensions import db


@dataclass(frozen=True)
class DrillBench:
    """What one benchmark run measured."""

    operators: int
    runs: int
    p50_ms: float
    p95_ms: float
    queries: int
    page_p50_ms: float
    evidence_rows: int
    database: str

    def as_json(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready mapping (the fields, by name)."""
        return asdict(self)


def bench_drills(
    operators: int, runs: int, database_url: str | None = None, pages: int = 3
) -> DrillBench:
    """Build OPERATORS certificate holders in a scratch database and time their drill status."""
    import flask_migrate

    from app import create_app

    scratch = tempfile.mkdtemp(prefix="academy-bench-drills-")
    request_log = logging.getLogger("academy.request")
    level = request_log.level
    try:
        env = {**os.environ, "ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": scratch}
        env["ACADEMY_DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
        app = create_app(Settings.from_env(env), {"WTF_CSRF_ENABLED": False})
        request_log.setLevel(logging.WARNING)
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
            if db.session.scalar(select(func.count(User.id))):
                raise RuntimeError(
                    "the database is not empty: give the benchmark a scratch database"
                )
            now = utcnow()
            cohort_id, email, rows = seed_holders(get_catalog(), operators, now)
            db.session.commit()
        try:
            return _measure(app, cohort_id, email, operators, runs, pages, rows)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        request_log.setLevel(level)
        shutil.rmtree(scratch, ignore_errors=True)


def _measure(
    app: Flask, cohort_id: int, email: str, operators: int, runs: int, pages: int, rows: int
) -> DrillBench:
    with app.app_context():
        rules = drill_rules(get_catalog())
        engine = db.engine
        for _ in range(2):
            load_statuses(rules, utcnow(), [cohort_id])
            db.session.rollback()
        statements = [0]

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = load_statuses(rules, utcnow(), [cohort_id])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.session.rollback()
        if len(found) != operators:
            raise RuntimeError(f"expected {operators} holders, computed {len(found)}")
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            load_statuses(rules, utcnow(), [cohort_id])
            timings.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    page_times = []
    if pages:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"could not log in as the coordinator ({response.status_code})")
        for _ in range(pages):
            started = time.perf_counter()
            page = client.get(f"/team/drills?cohort={cohort_id}")
            page_times.append((time.perf_counter() - started) * 1000)
            if page.status_code != 200:
                raise RuntimeError(f"/team/drills answered {page.status_code}")
    timings.sort()
    p95 = (
        statistics.quantiles(timings, n=20, method="inclusive")[-1]
        if len(timings) > 1
        else timings[0]
    )
    return DrillBench(
        operators=operators,
        runs=runs,
        p50_ms=round(statistics.median(timings), 1),
        p95_ms=round(p95, 1),
        queries=statements[0],
        page_p50_ms=round(statistics.median(page_times), 1) if page_times else 0.0,
        evidence_rows=rows,
        database=engine.dialect.name,
    )


def seed_holders(catalog: Catalog, operators: int, now: datetime) -> tuple[int, str, int]:
    """Create a coordinator, a cohort of certificate holders and their drills' evidence; flush
    only. Return the cohort id, the coordinator's e-mail and how many evidence rows were made."""
    rules = drill_rules(catalog)
    randomly = random.Random(20261206)  # noqa: S311 - scratch data, not secrets
    coordinator, cohort, people = scratch_cohort(
        operators,
        name="Bench operators",
        member_word="operator",
        start_date=(now - timedelta(days=400)).date(),
    )
    certificates = []
    labs: list[dict[str, Any]] = []
    quizzes: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    with_labs = installed("labs")
    with_quizzes = installed("quizzes")
    for person in people:
        issued = now - timedelta(days=randomly.randint(1, 330), hours=randomly.randint(0, 23))
        certificates.append(
            {
                "code": new_code(),
                "user_id": person.id,
                "cycle": 1,
                "recipient_name": person.full_name,
                "programme_id": catalog.programme.id,
                "programme_title": catalog.programme.title,
                "content_version": catalog.version,
                "issued_at": issued,
                "expires_at": add_months(issued, 12),
                "signed_off_by": coordinator.full_name,
                "badge_salt": "bench",
                "evidence": {},
                "revocation_reason": "",
            }
        )
        numbers: dict[str, int] = {}
        for drill in rules.drills:
            first = first_start(issued, drill.period)
            if first > now.date():
                continue
            for window in windows(drill.period, first, now.date()):
                if randomly.random() > 0.9:
                    continue  # missed
                span = (min(window.due, now) - window.opens).total_seconds()
                at = window.opens + timedelta(seconds=randomly.uniform(0, max(span, 1)))
                if at > now:
                    continue
                if drill.kind == "lab" and with_labs:
                    labs.append(_lab(person.id, drill.target, at, catalog.version, len(labs)))
                elif drill.kind == "quiz" and with_quizzes:
                    numbers[drill.target] = numbers.get(drill.target, 0) + 1
                    quizzes.append(
                        _quiz(person.id, drill.target, numbers[drill.target], at, catalog.version)
                    )
                elif drill.kind == "activity":
                    activities.append(_activity(person.id, drill.target, at))
    db.session.execute(insert(Certificate), certificates)
    if labs:
        from app.labs.models import LabSession

        db.session.execute(insert(LabSession), labs)
    if quizzes:
        from app.quizzes.models import QuizAttempt

        db.session.execute(insert(QuizAttempt), quizzes)
    if activities:
        db.session.execute(insert(Attestation), activities)
    db.session.flush()
    return cohort.id, coordinator.email, len(labs) + len(quizzes) + len(activities)


def _lab(user_id: int, slug: str, at: datetime, version: str, n: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "lab_slug": slug,
        "seed": n,
        "values": {},
        "answers": {},
        "answer_tries": {},
        "status": "finished",
        "content_version": version,
        "progress": "",
        "progress_percent": 100,
        "started_at": at - timedelta(minutes=40),
        "ready_at": at - timedelta(minutes=39),
        "expires_at": at + timedelta(minutes=20),
        "completed_at": at,
        "finished_at": at,
    }


def _quiz(user_id: int, quiz_id: str, number: int, at: datetime, version: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "quiz_id": quiz_id,
        "kind": "day",
        "day_id": None,
        "number": number,
        "content_version": version,
        "paper": {"seed": number, "questions": []},
        "pass_mark": 70.0,
        "started_at": at - timedelta(minutes=12),
        "submitted_at": at,
        "expired": False,
        "answers": {},
        "results": {},
        "score": 85.0,
        "passed": True,
    }


def _activity(user_id: int, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "kind": kind,
        "occurred_on": at.date(),
        "counterpart": "Team lead",
        "description": "Attended the session and worked through its exercises with the team.",
        "status": "approved",
        "review_comment": "",
        "created_at": at,
    }
