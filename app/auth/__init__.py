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
    def _load(session_id: str) -> User | None:
        # "<id>:<session version>": a cookie from before a password change or deactivation
        # (or from before versions existed) no longer loads anyone.
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or (user.session_version or 0) != int(version):
            return None
        return user

    app.register_blueprint(bp)
