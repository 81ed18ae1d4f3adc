"""The browser terminal: a WebSocket bridged to a login shell in a sandbox host, and live watching.

Protocol. Browser → server: text frames of JSON, {"type": "input", "data": "..."} and
{"type": "resize", "cols": C, "rows": R}. Server → browser: binary frames are terminal output;
text frames are JSON notices ({"type": "size", ...}, {"type": "exit", "reason": ...}).

A terminal connection holds no database transaction while it runs (a pooled connection per open
terminal would exhaust the pool); it commits its few writes (recording start and end, activity)
on its own, like a background job.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from app.config import Settings
from app.extensions import db
from app.sandboxes import services
from app.sandboxes.models import Sandbox, SandboxStatus, TerminalRecording
from app.sandboxes.recordings import (
    MB,
    CastWriter,
    NoRecording,
    finish_recording,
    follow,
    recording_path,
    recording_refusal,
    start_recording,
)
from app.sandboxes.run_options import run_options
from app.sandboxes.runtime import get_runtime
from app.sandboxes.socket_slots import NoSlot, SlotLimits, SocketSlots
from app.sandboxes.streams import PtyChannel

log = logging.getLogger("academy.terminal")

TOUCH_SECONDS = 30.0


def socket_slots(app: Flask) -> SocketSlots:
    """Return this process's count of open sockets."""
    slots: SocketSlots = app.extensions.setdefault("academy.socket_slots", SocketSlots())
    return slots


@contextmanager
def slot(ws: Any, app: Flask, user_id: int, sandbox_id: str) -> Iterator[bool]:
    """Hold a socket slot while the body runs; refuse the socket with its reason when full."""
    slots = socket_slots(app)
    try:
        slots.acquire(SlotLimits.from_settings(app.config["ACADEMY"]), user_id, sandbox_id)
    except NoSlot as refused:
        try:
            ws.send(json.dumps({"type": "exit", "reason": str(refused)}))
            ws.close(message=str(refused)[:120])
        except ConnectionClosed:
            pass
        yield False
        return
    with slots.held(user_id, sandbox_id):
        yield True


def bridge(
    ws: Any, app: Flask, sandbox_id: str, host: str, image: str, user_id: int, cols: int, rows: int
) -> None:
    """Serve an owner's read-write terminal until either side hangs up."""
    settings: Settings = app.config["ACADEMY"]
    runtime = get_runtime(app, images=[])
    channel = runtime.open_pty(sandbox_id, host, run_options(image).terminal_user, cols, rows)
    refused = recording_refusal(settings)
    writer: CastWriter | NoRecording
    recording_id: int | None = None
    if refused is None:
        recording = start_recording(settings, sandbox_id, user_id, host, cols, rows)
        recording_id = recording.id
        writer = CastWriter(
            recording_path(settings, recording),
            cols,
            rows,
            f"{host} · sandbox {sandbox_id[:8]}",
            max_bytes=settings.recording_max_mb * MB,
            started_at=recording.started_at,
        )
    else:
        log.warning("terminal of sandbox %s not recorded: %s", sandbox_id, refused)
        writer = NoRecording()
    services.touch(sandbox_id)
    db.session.commit()
    if refused is not None:
        ws.send(json.dumps({"type": "notice", "reason": "This terminal is not being recorded."}))
    ended = threading.Event()
    pump = threading.Thread(
        target=_pump, args=(channel, ws, writer, ended), name="terminal-pump", daemon=True
    )
    pump.start()
    last_touch = time.monotonic()
    try:
        while not ended.is_set():
            message = ws.receive(timeout=1)
            if message is None:
                continue
            _handle(message, channel, writer)
            if time.monotonic() - last_touch > TOUCH_SECONDS:
                last_touch = time.monotonic()
                services.touch(sandbox_id)
                db.session.commit()
    except ConnectionClosed:
        pass
    finally:
        ended.set()
        channel.close()
        pump.join(timeout=5)
        size = writer.close()
        if recording_id is not None:
            finish_recording(recording_id, size)
        db.session.commit()


def _handle(message: str | bytes, channel: PtyChannel, writer: CastWriter | NoRecording) -> None:
    if isinstance(message, bytes):
        channel.write(message)
        return
    try:
        event = json.loads(message)
    except ValueError:
        return
    if not isinstance(event, dict):
        return
    if event.get("type") == "input" and isinstance(event.get("data"), str):
        channel.write(event["data"].encode("utf-8"))
    elif event.get("type") == "resize":
        cols, rows = terminal_size(event.get("cols"), event.get("rows"))
        channel.resize(cols, rows)
        writer.resize(cols, rows)


def _pump(
    channel: PtyChannel, ws: Any, writer: CastWriter | NoRecording, ended: threading.Event
) -> None:
    """Copy the shell's output to the browser and the recording until the shell ends."""
    reason = "The shell ended."
    try:
        while not ended.is_set():
            data = channel.read(timeout=0.5)
            if data is None:
                continue
            if not data:
                break
            writer.output(data)
            ws.send(data)
    except ConnectionClosed:
        reason = ""
    except Exception:
        if not channel.closed:
            log.exception("terminal output failed")
        reason = "The terminal connection failed."
    ended.set()
    # A channel closed here was hung up by the browser's side, which ends the socket itself.
    if reason and not channel.closed:
        try:
            ws.send(json.dumps({"type": "exit", "reason": reason}))
            ws.close(message=reason)
        except ConnectionClosed:
            pass


def watch(ws: Any, app: Flask, sandbox_id: str, host: str | None) -> None:
    """Stream the sandbox's live terminal output to a read-only watcher; ignore its input.

    The watcher follows the recording file, so it sees the owner's screen from the start of
    the connection and then live, whichever process serves the owner's terminal.
    """
    settings: Settings = app.config["ACADEMY"]
    while True:
        recording = _live_recording(sandbox_id, host)
        if recording is None:
            if _over(sandbox_id):
                ws.send(json.dumps({"type": "exit", "reason": "The sandbox has closed."}))
                return
            ws.send(
                json.dumps(
                    {"type": "waiting", "reason": "No terminal is open in this sandbox yet."}
                )
            )
            _idle(ws, seconds=1.0)
            continue
        _follow_one(ws, settings, recording)


def _follow_one(ws: Any, settings: Settings, recording: TerminalRecording) -> None:
    path = recording_path(settings, recording)
    recording_id = recording.id
    for _ in range(50):  # the owner's connection creates the file a moment after the row
        if path.exists():
            break
        _idle(ws, seconds=0.1)
    if not path.exists():
        return
    checked_at, ended = 0.0, False

    def finished() -> bool:
        nonlocal checked_at, ended
        if time.monotonic() - checked_at > 1.0:
            checked_at = time.monotonic()
            db.session.expire_all()
            row = db.session.get(TerminalRecording, recording_id)
            db.session.commit()
            ended = row is None or row.ended_at is not None
        return ended

    for event in follow(path, finished):
        if event is None:
            _idle(ws, seconds=0)
        elif isinstance(event, dict):
            ws.send(
                json.dumps(
                    {"type": "size", "cols": event.get("width"), "rows": event.get("height")}
                )
            )
        elif isinstance(event, list) and len(event) == 3 and event[1] == "o":
            ws.send(str(event[2]).encode("utf-8"))
        elif isinstance(event, list) and len(event) == 3 and event[1] == "r":
            cols, _, rows = str(event[2]).partition("x")
            ws.send(json.dumps({"type": "size", "cols": int(cols), "rows": int(rows)}))
    ws.send(json.dumps({"type": "waiting", "reason": "The trainee closed the terminal."}))


def _idle(ws: Any, seconds: float) -> None:
    """Wait, reading (and discarding) anything the watcher sends: watchers cannot type."""
    deadline = time.monotonic() + seconds
    while True:
        ws.receive(timeout=max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            return


def _live_recording(sandbox_id: str, host: str | None) -> TerminalRecording | None:
    db.session.expire_all()
    query = select(TerminalRecording).where(
        TerminalRecording.sandbox_id == sandbox_id, TerminalRecording.ended_at.is_(None)
    )
    if host:
        query = query.where(TerminalRecording.host == host)
    recording = db.session.scalar(query.order_by(TerminalRecording.started_at.desc()).limit(1))
    db.session.commit()
    return recording


def _over(sandbox_id: str) -> bool:
    db.session.expire_all()
    sandbox = db.session.get(Sandbox, sandbox_id)
    db.session.commit()
    return sandbox is None or sandbox.status in (
        SandboxStatus.EXPIRED.value,
        SandboxStatus.DESTROYED.value,
        SandboxStatus.FAILED.value,
    )


def terminal_size(cols: object, rows: object) -> tuple[int, int]:
    """Return a sane terminal size from untrusted values."""

    def clamp(value: object, low: int, high: int, default: int) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return max(low, min(value, high))
        if isinstance(value, str) and value.isdigit():
            return max(low, min(int(value), high))
        return default

    return clamp(cols, 10, 500, 80), clamp(rows, 4, 200, 24)
