"""A live server on its own PostgreSQL database and a Playwright-driven Chromium."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.auth.models import Role, User
from app.auth.services import create_user
from app.config import ROOT
from app.extensions import db

CHROMIUM = "/usr/bin/chromium"
# axe-core is read from node_modules by the tests; it is never served to users.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The axe-core impacts a page may not have.
BLOCKING = ("serious", "critical")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    """The platform served over HTTP in a background thread."""

    app: Flask
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def create_user(self, role: Role, email: str, name: str, password: str) -> User:
        """Create an account directly in the live server's database."""
        with self.app.app_context():
            user = create_user(email, name, password, role)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    def run(self, function: Any, *args: Any) -> Any:
        """Call function inside the live app's context and commit."""
        with self.app.app_context():
            result = function(*args)
            db.session.commit()
            return result

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()


def start_live_server(app: Flask) -> LiveServer:
    """Serve app on a free port in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{server.server_port}", server, thread)


def build_app(database_url: str, **changes: Any) -> Flask:
    """Build an app for a live server on a migrated database."""
    from tests.conftest import migrate_to_head, settings_for

    instance = Path(tempfile.mkdtemp(prefix="academy-live-"))
    app = create_app(settings_for(database_url, instance, **changes))
    migrate_to_head(app)
    return app


@dataclass
class Browser:
    """A Chromium instance driven by Playwright."""

    playwright: Any
    browser: Any

    def close(self) -> None:
        """Close the browser."""
        self.browser.close()
        self.playwright.stop()


def launch_browser() -> Browser:
    """Start headless Chromium with a fresh profile."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            "Chromium is missing: run `make test` (it installs it) or apt-get install chromium"
        )
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        # Playwright refuses --user-data-dir here and gives each launch a fresh profile itself.
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
    )
    return Browser(playwright, browser)


def iterate_pages(browser: Browser) -> Iterator[Any]:
    """Yield a fresh page in its own context, closing it afterwards."""
    context = browser.browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (from node_modules: it is never served to users) and return the violations."""
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `make deps` (npm ci installs it)")
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)
            }));
        }"""
    )


def page_width(page: Any) -> int:
    """Return how wide the document lays out."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


class Report:
    """Keeps the violations and screenshots when ACADEMY_PAGE_REPORT names a folder."""

    def __init__(self) -> None:
        folder = os.environ.get("ACADEMY_PAGE_REPORT")
        self.folder = Path(folder) if folder else None
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def keep(self, page: Any, name: str, view: str, violations: list[Any], width: int) -> None:
        """Write one page's findings and screenshot."""
        if self.folder is None:
            return
        page.screenshot(path=str(self.folder / f"{name}-{view}.png"))
        line = {"page": name, "view": view, "width": width, "violations": violations}
        with (self.folder / "axe.jsonl").open("a") as out:
            out.write(json.dumps(line) + "\n")
