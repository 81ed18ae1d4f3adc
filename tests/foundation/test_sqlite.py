"""The embedded default: SQLite through the same migrations, login and pages."""

from __future__ import annotations

import flask_migrate

from app import create_app
from app.auth.models import Role
from app.auth.services import create_user
from app.config import ROOT, Settings
from app.extensions import db
from tests.conftest import PASSWORD, login


def test_default_database_is_a_sqlite_file_under_instance():
    settings = Settings.from_env({"ACADEMY_ENV": "development", "ACADEMY_SECRET_KEY": "k"})
    assert settings.database_url == f"sqlite:///{ROOT / 'instance' / 'academy.sqlite3'}"


def test_trainee_journey_on_sqlite(tmp_path):
    settings = Settings.from_env({"ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": str(tmp_path)})
    app = create_app(settings)
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"), revision="heads")
        user = create_user("sqlite@example.test", "Sqlite Trainee", PASSWORD, Role.TRAINEE)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    client = app.test_client()
    login(client, user)
    assert client.get("/plan").status_code == 200
    with app.app_context():
        db.engine.dispose()
