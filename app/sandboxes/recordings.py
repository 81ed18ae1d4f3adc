"""Terminal recordings as asciicast v2 files: written live, followed by watchers, replayed later.

A file is one JSON header line ({"version": 2, "width", "height", "timestamp", ...}) followed by
one event per line: [seconds since start, "o", output text] or [seconds, "r", "COLSxROWS"].
Keystrokes are not recorded (what the shell echoes is), so passwords typed blind stay private.
"""

from __future__ import annotations

import codecs
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.clock import utcnow
from app.config import Settings
from app.extensions import db
from app.sandboxes.models import TerminalRecording

# A runaway `yes` must not fill the disk: past this size only a note is written.
MAX_BYTES = 64 * 1024 * 1024


def recording_path(settings: Settings, recording: TerminalRecording) -> Path:
    """Return the absolute path of a recording's file."""
    path = (settings.instance_dir / recording.path).resolve()
    if settings.instance_dir.resolve() not in path.parents:
        raise ValueError(f"recording {recording.id} points outside the instance folder")
    return path


def start_recording(
    settings: Settings, sandbox_id: str, user_id: int, host: str, cols: int, rows: int
) -> TerminalRecording:
    """Create the recording row (flushed) for a new terminal connection."""
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
    """Writes one terminal connection's output to an asciicast v2 file as it happens."""

    def __init__(self, path: Path, cols: int, rows: int, title: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.size = 0
        self.full = False
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
        if self.size > MAX_BYTES:
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
