"""Sandboxes: disposable copies of the production server, a warm pool, and the browser terminal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the sandbox pages and sockets."""
    from app.sandboxes import models  # noqa: F401
    from app.sandboxes.views import bp

    app.register_blueprint(bp)
