"""SQLite (the default) and PostgreSQL read the same evidence into the same drill statuses.

The bulk reader asks each database for moments as numbers and completions as concatenated text,
in each dialect's own SQL; this runs the benchmark's holders through both and compares every
line, with pending and issue-day activities added to the approved ones the seeding makes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
from sqlalchemy import insert, select

from app import create_app
from app.certification.models import Attestation, Certificate
from app.config import ROOT, Settings
from app.content import Catalog, get_catalog
from app.drills.bench import seed_holders
from app.drills.content import drill_rules
from app.drills.status import load_statuses
from app.extensions import db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _extra_activities(activity: str) -> None:
    """Give some holders a pending activity in the running period, and an approved one on the
    day of issue (which never counts)."""
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.issued_at).order_by(Certificate.user_id)
    ).all()
    extra: list[dict[str, Any]] = []
    for index, (user_id, issued) in enumerate(rows[:12]):
        on = (NOW - timedelta(days=1)).date() if index % 2 else issued.date()
        extra.append(
            {
                "user_id": user_id,
                "kind": activity,
                "occurred_on": on,
                "counterpart": "Team lead",
                "description": "Took part in the session and worked through it with the team.",
                "status": "pending" if index % 2 else "approved",
                "review_comment": "",
                "created_at": NOW - timedelta(hours=3),
            }
        )
    db.session.execute(insert(Attestation), extra)
    db.session.flush()


def _statuses(catalog: Catalog) -> dict[str, list[tuple[Any, ...]]]:
    rules = drill_rules(catalog)
    activity = next(d.target for d in rules.drills if d.kind == "activity")
    cohort_id, _, rows = seed_holders(catalog, 60, NOW)
    assert rows > 0
    _extra_activities(activity)
    out = {}
    for status in load_statuses(rules, NOW, [cohort_id]):
        out[status.email] = [
            (
                status.standing,
                line.drill.id,
                line.state,
                line.missed,
                line.missed_ever,
                line.done,
                round(line.last[0]) if line.last else None,
                line.now.pending is not None if line.now else None,
            )
            for line in status.lines
        ]
    return out


def _on(url: str, instance: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Migrate a fresh database, seed it and read the statuses, in an application of its own."""
    env = {
        **os.environ,
        "ACADEMY_ENV": "test",
        "ACADEMY_INSTANCE_DIR": str(instance),
        "ACADEMY_DATABASE_URL": url,
    }
    application = create_app(Settings.from_env(env), {"WTF_CSRF_ENABLED": False})
    with application.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
        try:
            return _statuses(get_catalog())
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


def test_sqlite_and_postgresql_give_the_same_statuses(pg_server, tmp_path):
    on_postgresql = _on(pg_server.create_database("academy_drills_dialects"), tmp_path / "pg")
    on_sqlite = _on(f"sqlite:///{tmp_path}/drills.sqlite3", tmp_path / "lite")

    assert len(on_postgresql) == 60
    assert on_sqlite == on_postgresql
    lines = [line for holder in on_postgresql.values() for line in holder]
    # The comparison covers every kind of state the data makes, and the pending activities.
    assert {line[2] for line in lines} >= {"done", "missed"}
    assert any(line[4] > line[3] for line in lines)  # missed once, caught up since
    assert any(line[7] for line in lines)
