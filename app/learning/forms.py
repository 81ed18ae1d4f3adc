"""Forms for lesson pages."""

from __future__ import annotations

from flask_wtf import FlaskForm


class CompleteLessonForm(FlaskForm):
    """Mark a lesson complete (the CSRF token is the whole form)."""
