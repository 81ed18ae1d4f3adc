"""Absolute links into the platform, built from the configured base URL.

Certificates, badges and e-mails leave the platform, so their links must use the public
address (ACADEMY_BASE_URL), whichever host a request came in on, and must also work from
commands that run outside any request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.config import Settings


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return the public URL of an endpoint."""
    settings: Settings = current_app.config["ACADEMY"]
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return settings.base_url + adapter.build(endpoint, values)
