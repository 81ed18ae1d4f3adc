"""Lessons, progress and the trainee's ten-day plan."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the learning pages."""
    from app.learning.views import bp

    app.register_blueprint(bp)
