"""Migrations upgrade, downgrade and upgrade again on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from sqlalchemy import inspect

from app import create_app
from app.config import ROOT
from app.extensions import db
from tests.conftest import settings_for

MIGRATIONS = str(ROOT / "migrations")


def _round_trip(url: str, instance: Path) -> None:
    app = create_app(settings_for(url, instance))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="heads")
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "cohorts", "lesson_progress", "alembic_version"} <= tables
        model_tables = set(db.metadata.tables)
        assert model_tables <= tables, f"models without a migration: {model_tables - tables}"
        flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=MIGRATIONS, revision="heads")
        assert model_tables <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_round_trip_on_postgresql(pg_server, tmp_path):
    _round_trip(pg_server.create_database("academy_migrations"), tmp_path)


def test_round_trip_on_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'academy.sqlite3'}", tmp_path)
