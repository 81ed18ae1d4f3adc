"""Sign-off rules, attested work, the acknowledgment, certificates, badges and public verify."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the certification pages."""
    from app.certification.views import bp

    app.register_blueprint(bp)
