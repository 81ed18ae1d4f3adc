"""A service tab in Chromium: the framed page loads with its styles, and runs in an opaque origin
that can neither read the platform's cookies nor call its pages as the trainee."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.auth.models import Role
from app.clock import utcnow
from app.content.labs import Tab
from app.extensions import db
from app.labs.models import LabSession
from app.sandboxes import tabs as proxy
from app.sandboxes.models import Sandbox
from tests.browser import build_app, start_live_server
from tests.labs.conftest import build_catalog

pytestmark = [pytest.mark.browser]

PASSWORD = "a tab password 12"
# What the framed page tries: read the platform's cookies, and call a platform page.
PAGE = b"""<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head>
<body><h1>Service page</h1><p id="cookie">?</p><p id="call">?</p>
<script>
try { document.cookie; document.getElementById("cookie").textContent = "readable"; }
catch (e) { document.getElementById("cookie").textContent = "blocked"; }
fetch("/labs", {credentials: "include"})
  .then(function (r) { document.getElementById("call").textContent = "answered " + r.status; })
  .catch(function () { document.getElementById("call").textContent = "refused"; });
</script></body></html>"""


class Service(BaseHTTPRequestHandler):
    """The service: the page above and its stylesheet; records each path and cookie."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        Service.seen.append((self.path, self.headers.get("Cookie")))
        css = self.path.startswith("/style.css")
        body = b"h1 { color: rgb(1, 2, 3); }" if css else PAGE
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if css else "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def served(pg_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A live platform with a trainee's running session of a lab with one tab on the service."""
    Service.seen = []
    service = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    monkeypatch.setattr(proxy, "host_address", lambda app, sandbox_id, host: "127.0.0.1")
    app = build_app(pg_server.create_database(f"academy_tabs_{uuid.uuid4().hex[:6]}"))
    catalog = build_catalog()
    lab = dataclasses.replace(
        catalog.sections["labs"]["probe"],
        tabs=(Tab(title="Site", host="prod", port=int(service.server_address[1])),),
    )
    catalog.sections["labs"]["probe"] = lab
    monkeypatch.setitem(app.extensions, "academy.catalog", catalog)
    server = start_live_server(app)
    trainee = server.create_user(Role.TRAINEE, "tab.owner@example.test", "Tab Owner", PASSWORD)

    def make_session() -> int:
        sandbox = Sandbox(profile="prod=impactlink-server@impactlink-prod", status="ready",
                          owner_id=trainee.id, purpose="lab:probe")  # fmt: skip
        db.session.add(sandbox)
        db.session.flush()
        row = LabSession(user_id=trainee.id, lab_slug="probe", sandbox_id=sandbox.id, seed=1,
                         values={}, answers={}, status="active", content_version=catalog.version,
                         expires_at=utcnow() + timedelta(hours=1))  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return int(row.id)

    session_id = server.run(make_session)
    yield server, trainee, session_id
    server.stop()
    service.shutdown()


def test_the_framed_service_runs_in_an_opaque_origin(served, page):
    server, trainee, session_id = served
    page.set_default_timeout(20_000)
    page.goto(server.url + "/login")
    page.fill("input[name=email]", trainee.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/plan")
    page.goto(server.url + f"/labs/sessions/{session_id}/work")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Site").click()
    tab = opened.value
    frame = tab.frame_locator("iframe.lab-service")
    frame.get_by_role("heading", name="Service page").wait_for()
    # The page's stylesheet came through the proxy (its address carries the ticket).
    assert frame.locator("h1").evaluate("e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
    frame.locator("#call").filter(has_text="refused").or_(
        frame.locator("#call").filter(has_text="answered")
    ).wait_for()
    assert frame.locator("#cookie").inner_text() == "blocked"
    # A platform page cannot be read from the opaque origin (no CORS, no cookie).
    assert frame.locator("#call").inner_text() == "refused"
    paths = [path for path, _ in Service.seen]
    assert "/" in paths
    assert "/style.css" in paths
    assert all(cookie is None for _, cookie in Service.seen)
