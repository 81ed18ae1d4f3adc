"""The browser terminal: only the owner types, overseers watch live, every session is recorded."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from simple_websocket import ConnectionError as HandshakeRefused
from sqlalchemy import select

from app.extensions import db
from app.sandboxes.models import SandboxStatus, TerminalRecording
from tests.sandboxes.conftest import (
    USER_AGENT,
    insert_ready_row,
    notices,
    read_until,
    recording_file,
)

pytestmark = pytest.mark.docker


def _refused(client, path: str, **kw) -> int:
    with pytest.raises(HandshakeRefused) as refused:
        client.socket(path, **kw)
    return int(refused.value.status_code)


def test_sockets_refuse_everyone_but_the_owner_and_overseers(visitor, people, shared_sandbox):
    terminal = f"/sandboxes/{shared_sandbox}/terminal"
    watch = f"/sandboxes/{shared_sandbox}/watch"
    anonymous = visitor(None)
    assert _refused(anonymous, terminal) == 401
    assert _refused(anonymous, watch) == 401
    other = visitor(people.other_trainee)
    assert _refused(other, terminal) == 403
    assert _refused(other, watch) == 403
    stranger = visitor(people.other_coordinator)
    assert _refused(stranger, terminal) == 403
    assert _refused(stranger, watch) == 403
    coordinator = visitor(people.coordinator)
    assert _refused(coordinator, terminal) == 403  # watching yes, typing no
    admin = visitor(people.admin)
    assert _refused(admin, terminal) == 403
    owner = visitor(people.owner)
    assert _refused(owner, terminal, origin="http://evil.example") == 403
    assert _refused(owner, f"/sandboxes/{uuid.uuid4().hex}/terminal") == 404
    assert _refused(owner, f"{terminal}?host=staging") == 404


def test_a_sandbox_that_is_not_ready_has_no_terminal(visitor, people, sandbox_app):
    pending = uuid.uuid4().hex
    insert_ready_row(sandbox_app, pending, people.owner.id, status=SandboxStatus.STARTING.value)
    assert _refused(visitor(people.owner), f"/sandboxes/{pending}/terminal") == 409
    status = (
        visitor(people.owner)
        .http.get(f"{visitor(None).server.url}/sandboxes/{pending}/status")
        .json()
    )
    assert status["status"] == "starting"
    assert status["ready"] is False


def test_owner_types_and_resizes_coordinator_watches_live_and_cannot_type(
    visitor, people, shared_sandbox, sandbox_app, runtime
):
    owner = visitor(people.owner).socket(f"/sandboxes/{shared_sandbox}/terminal?cols=100&rows=30")
    try:
        read_until(owner, "impactlink@")  # the login shell's prompt
        watcher = visitor(people.coordinator).socket(f"/sandboxes/{shared_sandbox}/watch")
        try:
            # A late watcher first gets what the terminal already showed.
            assert "impactlink@" in read_until(watcher, "impactlink@")
            owner.send(json.dumps({"type": "input", "data": "echo $((6 * 7))-live\r"}))
            assert "42-live" in read_until(owner, "42-live")
            assert "42-live" in read_until(watcher, "42-live")
            watcher.send(json.dumps({"type": "input", "data": "touch /tmp/watcher-typed\r"}))
            watcher.send(b"touch /tmp/watcher-typed-raw\r")
            owner.send(json.dumps({"type": "resize", "cols": 120, "rows": 40}))
            owner.send(json.dumps({"type": "input", "data": "stty size; pwd; whoami\r"}))
            seen = read_until(owner, "impactlink\r\n")
            assert "40 120" in seen
            assert "/home/impactlink" in seen
            size_notices = [n for n in notices(watcher, 1) if n.get("type") == "size"]
            assert {"type": "size", "cols": 120, "rows": 40} in size_notices
        finally:
            watcher.close()
    finally:
        owner.close()
    typed = runtime.exec(
        shared_sandbox, "prod", ["sh", "-c", "ls /tmp/watcher-typed* 2>&1 || true"]
    )
    assert "No such file" in typed.stdout

    def ended() -> TerminalRecording | None:
        with sandbox_app.app_context():
            found = db.session.scalar(
                select(TerminalRecording)
                .where(
                    TerminalRecording.sandbox_id == shared_sandbox,
                    TerminalRecording.ended_at.isnot(None),
                )
                .order_by(TerminalRecording.id.desc())
            )
            if found is not None:
                db.session.expunge(found)
            return found

    deadline = time.monotonic() + 10
    recording = ended()
    while recording is None and time.monotonic() < deadline:
        time.sleep(0.1)
        recording = ended()
    assert recording is not None, "the recording was never closed"
    assert recording.user_id == people.owner.id
    assert recording.host == "prod"
    lines = recording_file(sandbox_app, recording).read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:]]
    # One recording per host: this connection's size is the header's (when it was the first)
    # or the resize written when it joined the recording.
    sizes = {f"{header['width']}x{header['height']}"} | {e[2] for e in events if e[1] == "r"}
    assert header["version"] == 2
    assert "100x30" in sizes
    assert all(isinstance(e[0], float | int) and e[1] in ("o", "r") for e in events)
    times = [e[0] for e in events]
    assert times == sorted(times)
    assert "42-live" in "".join(e[2] for e in events if e[1] == "o")
    assert "120x40" in [e[2] for e in events if e[1] == "r"]
    assert recording.bytes == recording_file(sandbox_app, recording).stat().st_size


def test_recordings_replay_for_owner_and_coordinators_only(
    visitor, people, shared_sandbox, sandbox_app
):
    with sandbox_app.app_context():
        recording = db.session.scalar(
            select(TerminalRecording).where(TerminalRecording.sandbox_id == shared_sandbox).limit(1)
        )
    if recording is None:  # this test may run alone: make one connection to record
        owner = visitor(people.owner).socket(f"/sandboxes/{shared_sandbox}/terminal")
        read_until(owner, "impactlink@")
        owner.close()
        with sandbox_app.app_context():
            recording = db.session.scalar(
                select(TerminalRecording)
                .where(TerminalRecording.sandbox_id == shared_sandbox)
                .limit(1)
            )
    assert recording is not None
    base = visitor(None).server.url
    for person, expected in [
        (people.owner, 200),
        (people.coordinator, 200),
        (people.admin, 200),
        (people.other_trainee, 403),
        (people.other_coordinator, 403),
    ]:
        http = visitor(person).http
        page = http.get(f"{base}/recordings/{recording.id}", timeout=10)
        cast = http.get(f"{base}/recordings/{recording.id}.cast", timeout=10)
        assert (page.status_code, cast.status_code) == (expected, expected), person.email
        if expected == 200:
            assert "asciinema-player" in page.text
            assert "'wasm-unsafe-eval'" in page.headers["Content-Security-Policy"]
            assert json.loads(cast.text.splitlines()[0])["version"] == 2
    sandbox_page = visitor(people.owner).http.get(f"{base}/sandboxes/{shared_sandbox}", timeout=10)
    assert sandbox_page.status_code == 200
    assert f"/sandboxes/{shared_sandbox}/terminal" in sandbox_page.text
    watch_page = visitor(people.coordinator).http.get(
        f"{base}/sandboxes/{shared_sandbox}", timeout=10
    )
    assert f"/sandboxes/{shared_sandbox}/watch" in watch_page.text
    assert (
        visitor(people.other_trainee).http.get(f"{base}/sandboxes/{shared_sandbox}").status_code
        == 403
    )


def test_one_user_cannot_hold_more_terminals_than_allowed(visitor, people, shared_sandbox):
    allowed = 4  # ACADEMY_TERMINALS_PER_USER's default
    owner = visitor(people.owner)
    opened = [owner.socket(f"/sandboxes/{shared_sandbox}/terminal") for _ in range(allowed)]
    try:
        for ws in opened:
            read_until(ws, "impactlink@")
        from simple_websocket import ConnectionClosed

        refused = owner.socket(f"/sandboxes/{shared_sandbox}/terminal")
        try:
            said = " ".join(str(n.get("reason")) for n in notices(refused, 3))
        except ConnectionClosed as closed:
            said = closed.message or ""
        assert "You have 4 terminals open already" in said
    finally:
        for ws in opened:
            ws.close()
    # Closed sockets give their slots back.
    time.sleep(1.5)
    again = owner.socket(f"/sandboxes/{shared_sandbox}/terminal")
    try:
        assert "impactlink@" in read_until(again, "impactlink@")
    finally:
        again.close()


def test_no_compression_is_negotiated_and_large_messages_are_refused(
    visitor, people, shared_sandbox
):
    import socket
    from urllib.parse import urlsplit

    from simple_websocket import ConnectionClosed

    owner = visitor(people.owner)
    address = urlsplit(owner.server.url)
    cookies = "; ".join(f"{c.name}={c.value}" for c in owner.http.cookies)
    handshake = (
        f"GET /sandboxes/{shared_sandbox}/terminal HTTP/1.1\r\nHost: {address.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        f"User-Agent: {USER_AGENT}\r\nCookie: {cookies}\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(handshake.encode())
        response = raw.recv(4096).decode("latin-1")
    assert response.startswith("HTTP/1.1 101"), response
    assert "sec-websocket-extensions" not in response.lower()

    ws = owner.socket(f"/sandboxes/{shared_sandbox}/terminal")
    read_until(ws, "impactlink@")
    ws.send(json.dumps({"type": "input", "data": "x" * 70_000}))

    def drain() -> None:
        for _ in range(100):
            ws.receive(timeout=0.2)

    with pytest.raises(ConnectionClosed) as closed:
        drain()
    assert closed.value.reason == 1009  # message too big


def test_a_reconnect_appends_to_the_hosts_one_recording(
    visitor, people, shared_sandbox, sandbox_app
):
    owner = visitor(people.owner)
    for word in ("first-visit", "second-visit"):
        ws = owner.socket(f"/sandboxes/{shared_sandbox}/terminal")
        read_until(ws, "impactlink@")
        ws.send(json.dumps({"type": "input", "data": f"echo {word}-$((1 + 1))\r"}))
        read_until(ws, f"{word}-2")
        ws.close()
        time.sleep(1.0)
    with sandbox_app.app_context():
        rows = db.session.scalars(
            select(TerminalRecording).where(
                TerminalRecording.sandbox_id == shared_sandbox, TerminalRecording.host == "prod"
            )
        ).all()
        assert len(rows) == 1
        recording = rows[0]
        db.session.expunge(recording)
    lines = recording_file(sandbox_app, recording).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["version"] == 2
    assert sum(1 for line in lines if line.startswith("{")) == 1  # one header
    events = [json.loads(line) for line in lines[1:]]
    text = "".join(e[2] for e in events if e[1] == "o")
    assert text.index("first-visit-2") < text.index("second-visit-2")
    times = [e[0] for e in events]
    assert times == sorted(times)
