"""Terminal recordings as asciicast v2 files: written live, followed by watchers, replayed later.

A file is one JSON header line ({"version": 2, "width", "height", "timestamp", ...}) followed by
one event per line: [seconds since start, "o", output text] or [seconds, "r", "COLSxROWS"].
Keystrokes are not recorded (what the shell echoes is), so passwords typed blind stay private.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.clock import as_utc, utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes.models import TerminalRecording

MB = 1024 * 1024
log = logging.getLogger("academy.recordings")


def recording_path(settings: Settings, recording: TerminalRecording) -> Path:
    """Return the absolute path of a recording's file."""
    path = (settings.instance_dir / recording.path).resolve()
    if settings.instance_dir.resolve() not in path.parents:
        raise ValueError(f"recording {recording.id} points outside the instance folder")
    return path


def recording_refusal(settings: Settings) -> str | None:
    """Say why no recording (and no sandbox) may start now, or None when there is room."""
    free = shutil.disk_usage(_existing(settings.instance_dir)).free
    if free < settings.disk_reserve_mb * MB:
        return (
            f"The platform's disk has {free // MB} MB free, below the "
            f"{settings.disk_reserve_mb} MB reserve (ACADEMY_DISK_RESERVE_MB)."
        )
    used = db.session.scalar(select(func.coalesce(func.sum(TerminalRecording.bytes), 0))) or 0
    if used >= settings.recordings_max_gb * 1024 * MB:
        return (
            f"Recordings take {used // MB} MB, the whole budget of {settings.recordings_max_gb} GB "
            "(ACADEMY_RECORDINGS_MAX_GB); old ones are removed as they pass their retention."
        )
    return None


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def start_recording(
    settings: Settings, sandbox_id: str, user_id: int, host: str, cols: int, rows: int
) -> TerminalRecording:
    """Return the recording of this sandbox host (flushed): a reconnect appends to it."""
    existing = db.session.scalar(
        select(TerminalRecording)
        .where(TerminalRecording.sandbox_id == sandbox_id, TerminalRecording.host == host)
        .order_by(TerminalRecording.id)
        .limit(1)
    )
    if existing is not None:
        existing.ended_at = None
        db.session.flush()
        return existing
    now = utcnow()
    relative = f"recordings/{now:%Y-%m}/{sandbox_id}-{uuid.uuid4().hex[:10]}.cast"
    recording = TerminalRecording(
        sandbox_id=sandbox_id,
        user_id=user_id,
        host=host,
        started_at=now,
        path=relative,
        cols=cols,
        rows=rows,
    )
    db.session.add(recording)
    db.session.flush()
    return recording


def finish_recording(recording_id: int, size: int) -> None:
    """Record the end of a terminal connection and its file size (flushed)."""
    recording = db.session.get(TerminalRecording, recording_id)
    if recording is not None:
        recording.ended_at = utcnow()
        recording.bytes = size
        db.session.flush()


class CastWriter:
    """Writes a recording's output to an asciicast v2 file as it happens.

    A reconnect appends to the same file: its events continue the clock from the recording's
    start, and the size cap counts every connection's bytes together.
    """

    def __init__(
        self,
        path: Path,
        cols: int,
        rows: int,
        title: str,
        *,
        max_bytes: int = 64 * MB,
        started_at: datetime | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        appending = path.exists() and path.stat().st_size > 0
        self.file = path.open("a" if appending else "w", encoding="utf-8")
        offset = (utcnow() - as_utc(started_at)).total_seconds() if started_at else 0.0
        self.started = time.monotonic() - max(0.0, offset)
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.size = path.stat().st_size if appending else 0
        self.max_bytes = max_bytes
        self.full = self.size > max_bytes
        if appending:
            self.resize(cols, rows)
            return
        header = {
            "version": 2,
            "width": cols,
            "height": rows,
            "timestamp": int(time.time()),
            "title": title,
            "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"},
        }
        self._line(header)

    def output(self, data: bytes) -> None:
        """Append terminal output (split multi-byte characters are joined across calls)."""
        text = self.decoder.decode(data)
        if text:
            self._event("o", text)

    def resize(self, cols: int, rows: int) -> None:
        """Append a terminal resize."""
        self._event("r", f"{cols}x{rows}")

    def close(self) -> int:
        """Flush any pending bytes, close the file and return its size."""
        tail = self.decoder.decode(b"", final=True)
        if tail:
            self._event("o", tail)
        self.file.close()
        return self.size

    def _event(self, kind: str, data: str) -> None:
        if self.full:
            return
        if self.size > self.max_bytes:
            self.full = True
            data, kind = "\r\n[recording stopped: size limit reached]\r\n", "o"
        self._line([round(time.monotonic() - self.started, 6), kind, data])

    def _line(self, value: Any) -> None:
        line = json.dumps(value, ensure_ascii=False) + "\n"
        self.file.write(line)
        # Watchers follow the file from other threads and processes: write through at once.
        self.file.flush()
        self.size += len(line.encode("utf-8"))


def follow(path: Path, finished: Callable[[], bool], poll: float = 0.1) -> Iterator[Any]:
    """Yield the header and then each event of a recording, waiting for new ones as it grows.

    Stops once finished() is true and the file has been read to its end.
    """
    pending = ""
    with path.open("r", encoding="utf-8") as handle:
        while True:
            chunk = handle.read(65536)
            if chunk:
                pending += chunk
                *lines, pending = pending.split("\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
                continue
            if finished():
                return
            time.sleep(poll)
            yield None  # a heartbeat, so the caller can check its own connection


class NoRecording:
    """Stands in for a CastWriter when no recording may start (disk or budget exhausted)."""

    size = 0

    def output(self, data: bytes) -> None:
        """Drop terminal output."""

    def resize(self, cols: int, rows: int) -> None:
        """Drop a resize."""

    def close(self) -> int:
        """Return the size written: nothing."""
        return 0


def prune_recordings(settings: Settings, now: datetime | None = None) -> int:
    """Delete recordings past their retention (rows and files, flushed); return how many.

    Recordings of a lab session whose every task passed are evidence behind a sign-off and are
    kept longer than the rest.
    """
    from app.labs.models import LabSession

    now = now or utcnow()
    evidence = select(LabSession.sandbox_id).where(
        LabSession.completed_at.is_not(None), LabSession.sandbox_id.is_not(None)
    )
    removed = 0
    for days, kept in (
        (settings.recording_days_evidence, True),
        (settings.recording_days_other, False),
    ):
        cutoff = now - timedelta(days=days)
        query = select(TerminalRecording).where(
            TerminalRecording.ended_at.is_not(None), TerminalRecording.ended_at < cutoff
        )
        query = query.where(
            TerminalRecording.sandbox_id.in_(evidence)
            if kept
            else TerminalRecording.sandbox_id.not_in(evidence)
        )
        for recording in db.session.scalars(query).all():
            with contextlib.suppress(ValueError):  # a row pointing outside: drop only the row
                recording_path(settings, recording).unlink(missing_ok=True)
            db.session.delete(recording)
            removed += 1
    db.session.flush()
    return removed


_pruned_at: list[float] = [0.0]
PRUNE_EVERY_SECONDS = 3600.0


def prune_periodically(app: Any) -> None:
    """Supervisor task: apply the retention at most once an hour."""
    if time.monotonic() - _pruned_at[0] < PRUNE_EVERY_SECONDS:
        return
    _pruned_at[0] = time.monotonic()
    removed = prune_recordings(app.config["ACADEMY"])
    db.session.commit()
    if removed:
        log.info("removed %d expired recordings", removed)
