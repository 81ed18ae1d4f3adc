"""Cohorts, coordinators and what coordinators may see: the matrix, evidence and onboarding."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the coordinators' pages."""
    from app.coordination import models  # noqa: F401
    from app.coordination.views import bp

    app.register_blueprint(bp)
