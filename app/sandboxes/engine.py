"""Where the Docker engine is, whether it answers, and which images the labs define."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from app.config import Settings


def scope_for(settings: Settings) -> str:
    """Return the label value that marks this platform's sandboxes on a shared engine."""
    return hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]


def engine_url(settings: Settings) -> str:
    """Return the engine URL in use (settings, then DOCKER_HOST, then the local socket)."""
    return settings.docker_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def lab_images(settings: Settings) -> list[str]:
    """Return the images the labs folder defines (one folder per image under labs/images)."""
    folder = settings.labs_dir / "images"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "Dockerfile").is_file())


def reachable(url: str) -> str | None:
    """Return why the engine cannot be reached, without waiting long for a dead address."""
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            if not Path(parts.path).exists():
                return (
                    f"The Docker engine is not running (no socket at {parts.path}). Labs are "
                    "unavailable until it is started (dockerd)."
                )
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(2)
                probe.connect(parts.path)
        elif parts.scheme in ("tcp", "http", "https"):
            with socket.create_connection(
                (parts.hostname or "localhost", parts.port or 2375), timeout=2
            ):
                pass
    except OSError as error:
        return (
            f"The Docker engine at {url} is unreachable ({error.strerror or error}). Labs are "
            "unavailable until it is running."
        )
    return None
