"""Service tabs: a sandbox's HTTP service on the lab page through the platform's proxy.

The first tests put a real HTTP server on loopback in place of the sandbox host (only the
address lookup is redirected to it) to see exactly what the proxy sends and passes back; the
last one goes to a real sandbox's Nginx over its private network (Docker, run under `heavy`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import update

from app.auth.models import Role, User
from app.auth.services import create_user
from app.clock import utcnow
from app.content.errors import Problems
from app.content.labs import Tab, read_lab
from app.extensions import db
from app.labs import services
from app.labs.models import LabSession
from app.sandboxes import tabs as proxy
from app.sandboxes.models import Sandbox, SandboxStatus
from tests.conftest import PASSWORD, login
from tests.labs.conftest import CONTENT, catalog_with, real_lab


class Service(BaseHTTPRequestHandler):
    """A small site: records what it was sent, answers with links, cookies and a redirect."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Service.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/redir"):
            self.send_response(302)
            self.send_header("Location", "/landing")
            self.end_headers()
            return
        if self.path.startswith("/big"):
            body = b"x" * (proxy.MAX_BYTES + 10)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body)
            return
        body = (
            b'<html><head><link rel="stylesheet" href="/style.css"></head><body>'
            b'<h1>Service page</h1><a href="/next?x=1">next</a> <a href="//elsewhere/">far</a>'
            b'<img src="relative.png"></body></html>'
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", "session=stolen; Path=/")
        self.send_header("Clear-Site-Data", '"cookies"')
        self.send_header("Strict-Transport-Security", "max-age=999")
        self.send_header("Content-Security-Policy", "default-src *")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The service on loopback; the proxy's address lookup points at it."""
    Service.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(proxy, "host_address", lambda app, sandbox_id, host: "127.0.0.1")
    yield int(server.server_address[1])
    server.shutdown()


@pytest.fixture
def tabbed(use_catalog, probe, service, monkeypatch):
    """The probe lab with two tabs on the loopback service."""
    lab = dataclasses.replace(
        probe,
        tabs=(
            Tab(title="Site", host="prod", port=service),
            Tab(title="Redirects", host="prod", port=service, path="/redir"),
        ),
    )
    monkeypatch.setitem(use_catalog.sections["labs"], probe.id, lab)
    return lab


@pytest.fixture
def running(app, session, tabbed, use_catalog, make_user):
    """A trainee's running session of the tabbed lab."""
    trainee = make_user()
    lab_session = services.start_session(trainee.id, tabbed, use_catalog.version)
    session.execute(
        update(Sandbox).where(Sandbox.id == lab_session.sandbox_id).values(status="ready")
    )
    lab_session.status = "active"
    session.commit()
    return lab_session


def forget_user() -> None:
    """Drop the user Flask-Login keeps in `g` (the test's app context outlives each request)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def view_url(client, session_id: int, number: int = 0) -> str:
    """Open the tab page and return the proxied address it frames."""
    page = client.get(f"/labs/sessions/{session_id}/tabs/{number}")
    assert page.status_code == 200, page.status_code
    match = re.search(r'<iframe[^>]*src="([^"]+)"', page.get_data(as_text=True))
    assert match, "the tab page frames no service"
    assert 'sandbox="allow-scripts allow-forms"' in page.get_data(as_text=True)
    return match.group(1).replace("&amp;", "&")


def test_the_owner_sees_the_service_and_nothing_of_the_platform_goes_to_it(
    client, running, make_user
):
    login(client, db.session.get(User, running.user_id))
    workspace = client.get(f"/labs/sessions/{running.id}/work").get_data(as_text=True)
    assert f"/labs/sessions/{running.id}/tabs/0" in workspace
    url = view_url(client, running.id)
    answer = client.get(url, headers={"Authorization": "Bearer platform", "X-CSRFToken": "t"})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "<h1>Service page</h1>" in body
    # The page runs in an opaque origin, framed only by the platform's own page.
    policy = answer.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts allow-forms")
    assert "allow-same-origin" not in policy
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    # What the service says about cookies, transport or other origins is not passed on.
    for header in ("Set-Cookie", "Clear-Site-Data", "Strict-Transport-Security"):
        assert header not in answer.headers
    assert "Access-Control-Allow-Origin" not in answer.headers
    # Root-relative links stay under the tab; others are left alone.
    prefix = url.rstrip("/")
    assert f'href="{prefix}/style.css"' in body
    assert f'href="{prefix}/next?x=1"' in body
    assert 'href="//elsewhere/"' in body
    assert 'src="relative.png"' in body
    # The platform's session cookie, credentials and tokens never reach the sandbox.
    sent = Service.seen[-1]
    assert sent["path"] == "/"
    assert client.get_cookie("session") is not None
    for header in ("cookie", "authorization", "x-csrftoken", "referer", "x-forwarded-for"):
        assert header not in sent, header
    # A link followed within the page, with its query.
    client.get(f"{prefix}/next?x=1")
    assert Service.seen[-1]["path"] == "/next?x=1"
    # What the browser sent encoded goes on encoded (never a raw space or line break).
    assert client.get(f"{prefix}/a%20b?q=%0d%0aX-Injected:%201").status_code == 200
    assert Service.seen[-1]["path"] == "/a%20b?q=%0d%0aX-Injected:%201"
    assert "x-injected" not in Service.seen[-1]


def test_redirects_stay_under_the_tab_and_big_answers_are_refused(client, running):
    login(client, db.session.get(User, running.user_id))
    url = view_url(client, running.id, number=1)
    assert url.endswith("/redir")
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer.headers["Location"] == url.rsplit("/", 1)[0] + "/landing"
    big = client.get(url.rsplit("/", 1)[0] + "/big")
    assert big.status_code == 502
    assert "larger than" in big.get_data(as_text=True)
    assert "sandbox" in big.headers["Content-Security-Policy"]


def test_other_trainees_and_anonymous_visitors_are_refused(app, client, running, make_user):
    login(client, db.session.get(User, running.user_id))
    url = view_url(client, running.id)
    # Anonymous: the tab page and a proxy address without a valid ticket send to the login page.
    forget_user()
    anonymous = app.test_client()
    page = anonymous.get(f"/labs/sessions/{running.id}/tabs/0")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
    refused = anonymous.get(url.rsplit("/view/", 1)[0] + "/view/not-a-ticket/")
    assert refused.status_code == 302
    assert "/login" in refused.headers["Location"]
    # Another trainee: neither the tab page nor the owner's address (nothing is fetched).
    forget_user()
    other = app.test_client()
    login(other, make_user(Role.TRAINEE))
    count = len(Service.seen)
    assert other.get(f"/labs/sessions/{running.id}/tabs/0").status_code == 404
    assert other.get(url).status_code == 404
    assert len(Service.seen) == count
    forget_user()
    assert client.get(f"/labs/sessions/{running.id}/tabs/7").status_code == 404
    # A ticket is for one tab of one session.
    assert client.get(url.replace("/tabs/0/", "/tabs/1/")).status_code == 404
    # Only GET and HEAD are passed on.
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200


def test_overseers_may_look_and_a_finished_lab_shows_nothing(app, client, running, make_user):
    from datetime import date

    from app.coordination.services import add_member, create_cohort

    coordinator = make_user(Role.COORDINATOR)
    cohort = create_cohort("Tabs cohort", date.today(), [coordinator.id])
    add_member(cohort.id, running.user_id)
    db.session.commit()
    login(client, coordinator)
    assert client.get(view_url(client, running.id)).status_code == 200
    forget_user()
    client = app.test_client()
    login(client, make_user(Role.ADMIN))
    url = view_url(client, running.id)
    assert client.get(url).status_code == 200
    running.status = "finished"
    db.session.commit()
    assert client.get(url).status_code == 409
    page = client.get(f"/labs/sessions/{running.id}/tabs/0").get_data(as_text=True)
    assert "<iframe" not in page


def test_tabs_are_validated_with_file_and_line(tmp_path: Path):
    folder = tmp_path / "probe"
    shutil.copytree(CONTENT / "labs" / "probe", folder)
    text = (folder / "lab.yaml").read_text()
    text += (
        "tabs:\n"
        "  - {title: Site, host: prod, port: 443, scheme: https}\n"
        "  - {title: Site, host: web, port: 70000, scheme: ftp, path: nothing}\n"
        "  - {title: Dash, host: prod, port: 19999, colour: red}\n"
    )
    (folder / "lab.yaml").write_text(text)
    problems = Problems(tmp_path)
    read_lab(folder, problems)
    found = "\n".join(str(p) for p in problems.items)
    base = len(text.splitlines()) - 3
    assert f"lab.yaml:{base + 2}" in found
    assert "'Site' is used twice" in found
    assert "host 'web' is not one of the lab's hosts (prod)" in found
    assert "port must be 1..65535, got 70000" in found
    assert "scheme must be http or https, got 'ftp'" in found
    assert "path must be a path on the host" in found
    assert "colour" in found
    good = tmp_path / "good"
    shutil.copytree(CONTENT / "labs" / "probe", good)
    (good / "lab.yaml").write_text(
        (good / "lab.yaml").read_text().replace("id: probe", "id: good")
        + "tabs:\n  - {title: Site, host: prod, port: 443, scheme: https, path: /health}\n"
    )
    clean = Problems(tmp_path)
    lab = read_lab(good, clean)
    assert not clean.items, clean.items
    assert lab is not None
    assert lab.tabs == (Tab("Site", "prod", 443, "https", "/health"),)


# -- a real sandbox ---------------------------------------------------------------------------

ECHO = r"""
cat >/tmp/echo.js <<'JS'
require('http').createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({path: req.url, headers: req.headers}));
}).listen(8080, '0.0.0.0');
JS
nohup node /tmp/echo.js >/dev/null 2>&1 &
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && exit 0; sleep 0.1; done
exit 1
"""


@pytest.mark.docker
def test_a_real_sandbox_nginx_page_comes_through(docker_app: Flask, make_sandbox, monkeypatch):
    lab = dataclasses.replace(
        real_lab("outage-502"),
        tabs=(
            Tab(title="Site", host="prod", port=443, scheme="https"),
            Tab(title="Echo", host="prod", port=8080),
        ),
    )
    real = make_sandbox(lab, setup=False)
    assert real.sh(ECHO, user="impactlink").exit_code == 0
    catalog = catalog_with(lab)
    monkeypatch.setitem(docker_app.extensions, "academy.catalog", catalog)
    with docker_app.app_context():
        owner = create_user(
            f"tabs-{uuid.uuid4().hex[:8]}@example.test", "Tab Owner", PASSWORD, Role.TRAINEE
        )
        db.session.add(
            Sandbox(
                id=real.sandbox_id,
                profile="prod=impactlink-server@impactlink-prod",
                status=SandboxStatus.READY.value,
                owner_id=owner.id,
                purpose=f"lab:{lab.id}",
            )
        )
        db.session.flush()
        lab_session = LabSession(
            user_id=owner.id,
            lab_slug=lab.id,
            sandbox_id=real.sandbox_id,
            seed=1,
            values=real.values,
            answers={},
            status="active",
            content_version=catalog.version,
            expires_at=utcnow() + timedelta(hours=1),
        )
        db.session.add(lab_session)
        db.session.commit()
        session_id = lab_session.id
        db.session.refresh(owner)
        db.session.expunge(owner)
    client = docker_app.test_client()
    login(client, owner)
    try:
        site = client.get(view_url(client, session_id))
        assert site.status_code == 200, site.get_data(as_text=True)
        assert "ImpactLink API. See /api/v1/health" in site.get_data(as_text=True)
        assert "sandbox allow-scripts" in site.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in site.headers  # Nginx sends it; it stays there
        echo = client.get(view_url(client, session_id, number=1))
        assert echo.status_code == 200
        seen = json.loads(echo.get_data(as_text=True))
        assert seen["path"] == "/"
        assert client.get_cookie("session") is not None
        assert "cookie" not in seen["headers"]
        assert seen["headers"]["host"] == "impactlink-prod:8080"
        # No port of the sandbox is published on the host.
        details = real.runtime.api.inspect_container(f"ac-{real.sandbox_id}-prod")
        assert not any((details["NetworkSettings"]["Ports"] or {}).values())
    finally:
        with docker_app.app_context():
            db.session.execute(db.delete(LabSession).where(LabSession.id == session_id))
            db.session.execute(db.delete(Sandbox).where(Sandbox.id == real.sandbox_id))
            db.session.commit()


NETDATA = r"""
systemctl start netdata >/dev/null 2>&1 || true
for _ in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/19999) 2>/dev/null && exit 0; sleep 0.2; done
exit 1
"""


@pytest.mark.docker
def test_a_netdata_dashboard_comes_through(docker_app: Flask, make_sandbox, monkeypatch):
    lab = dataclasses.replace(
        real_lab("outage-502"), tabs=(Tab(title="Dashboard", host="prod", port=19999),)
    )
    real = make_sandbox(lab, setup=False)
    started = real.sh(NETDATA)
    assert started.exit_code == 0, started.stderr
    monkeypatch.setitem(docker_app.extensions, "academy.catalog", catalog_with(lab))
    with docker_app.app_context():
        owner = create_user(
            f"netdata-{uuid.uuid4().hex[:8]}@example.test", "Dash Owner", PASSWORD, Role.TRAINEE
        )
        db.session.add(
            Sandbox(
                id=real.sandbox_id,
                profile="prod=impactlink-server@impactlink-prod",
                status=SandboxStatus.READY.value,
                owner_id=owner.id,
                purpose=f"lab:{lab.id}",
            )
        )
        db.session.flush()
        row = LabSession(
            user_id=owner.id, lab_slug=lab.id, sandbox_id=real.sandbox_id, seed=1,
            values=real.values, answers={}, status="active", content_version="x",
            expires_at=utcnow() + timedelta(hours=1),
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        session_id = row.id
        db.session.refresh(owner)
        db.session.expunge(owner)
    client = docker_app.test_client()
    login(client, owner)
    try:
        url = view_url(client, session_id)
        page = client.get(url)
        assert page.status_code == 200
        assert "netdata" in page.get_data(as_text=True).lower()
        assert "sandbox allow-scripts" in page.headers["Content-Security-Policy"]
        # The dashboard's own API, as its scripts ask for it (relative to the page).
        info = client.get(url + "api/v1/info")
        assert info.status_code == 200
        assert "version" in json.loads(info.get_data(as_text=True))
    finally:
        with docker_app.app_context():
            db.session.execute(db.delete(LabSession).where(LabSession.id == session_id))
            db.session.execute(db.delete(Sandbox).where(Sandbox.id == real.sandbox_id))
            db.session.commit()
