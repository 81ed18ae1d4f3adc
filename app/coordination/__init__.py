"""Cohorts, coordinators and what coordinators may see."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load the cohort models (their pages are registered by the coordination views)."""
    from app.coordination import models  # noqa: F401
