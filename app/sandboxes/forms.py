"""Forms for sandbox actions (each is its CSRF token: the action is in the URL)."""

from __future__ import annotations

from flask_wtf import FlaskForm


class SandboxActionForm(FlaskForm):
    """Confirm an action on a sandbox: extend, release, destroy, or open one to try."""
