"""Accounts, roles, login with lockout, and invitations."""

from __future__ import annotations

from flask import Flask

from app.extensions import db, login_manager


def init_app(app: Flask) -> None:
    """Register the auth blueprint and the session user loader."""
    from app.auth.models import User
    from app.auth.views import bp

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    app.register_blueprint(bp)
