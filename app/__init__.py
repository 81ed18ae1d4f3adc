"""Ops Academy: training and certification for operations teams."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from flask import Flask

from app.config import ROOT, Settings
from app.extensions import csrf, db, login_manager, migrate, sock

# Each feature package exposes init_app(app), which registers its blueprint and hooks.
FEATURES = (
    "app.web",
    "app.formatting",
    "app.auth",
    "app.notifications",
    "app.learning",
    "app.coordination",
    "app.sandboxes",
    "app.certification",
    "app.quizzes",
    "app.labs",
    "app.xapi",
    "app.drills",
    "app.periodic",
)


def create_app(
    settings: Settings | None = None, overrides: Mapping[str, object] | None = None
) -> Flask:
    """Build the Flask application: configuration, extensions and blueprints only."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        # Browser terminals send keystrokes and resizes: a large message is never one of those.
        SOCK_SERVER_OPTIONS={
            "max_message_size": settings.socket_message_bytes,
            "ping_interval": 25,
        },
        TESTING=settings.env == "test",
        ACADEMY=settings,
    )
    if overrides:
        app.config.update(overrides)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    sock.init_app(app)
    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    return app


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        # Web threads and the sandbox supervisor share the file; wait for locks instead of failing.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
