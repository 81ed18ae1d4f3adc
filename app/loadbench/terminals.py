"""Terminal sockets held open with output flowing, as a trainee's browser terminal holds them.

Each terminal runs a loop printing the time every 0.1 s; the bench reads every frame, measures
how late each line arrives (the sandbox and the bench share the machine's clock) and notices a
socket that closes before the bench closes it (dropped) or goes quiet for STALL_SECONDS (stalled).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from simple_websocket import Client, ConnectionClosed

from app.loadbench.browser import Browser
from app.loadbench.stats import TERMINAL_LAG, Recorder

# Prints the wall-clock time ten times a second until interrupted, with bash builtins only
# (`read -t` on the terminal as the pause): output flows through the socket as it would from
# `while :; do date; sleep 0.1; done`, without two processes started per line in the sandbox,
# which with fifty terminals would take the sandboxes' CPU from the lab checks being measured.
FLOW_COMMAND = "while :; do echo $EPOCHREALTIME; read -t 0.1; done\r"
INTERRUPT = "\x03"
STALL_SECONDS = 5.0
OPEN_TIMEOUT = 20.0
COLS, ROWS = 120, 30


def output_lines(buffer: str, chunk: str) -> tuple[list[str], str]:
    """Split terminal output into complete lines; return them and the unfinished rest."""
    text = buffer + chunk
    *lines, rest = text.split("\n")
    return [line.strip("\r") for line in lines], rest


def timestamp_of(line: str) -> float | None:
    """Return the time a flow line carries (seconds since the epoch), or None for other lines."""
    head, dot, tail = line.strip().partition(".")
    if not (dot and head.isdigit() and tail.isdigit() and len(head) >= 9):
        return None
    return float(f"{head}.{tail}")


def socket_url(socket_base: str, address: str) -> str:
    """Return the socket's URL as the terminal script builds it: the page's address (a path, or
    a ws:// URL as Werkzeug builds socket routes) on the socket process, with the size added."""
    parts = urlsplit(address)
    query = [*parse_qsl(parts.query), ("cols", str(COLS)), ("rows", str(ROWS))]
    return f"{socket_base}{parts.path}?{urlencode(query)}"


class Terminal:
    """One owner's terminal socket into a sandbox host, read by a thread of its own."""

    def __init__(
        self, browser: Browser, socket_base: str, path: str, recorder: Recorder, label: str
    ) -> None:
        self.browser = browser
        self.url = socket_url(socket_base, path)
        self.recorder = recorder
        self.label = label
        self.ws: Any = None
        self.opened = False
        self.dropped: str | None = None
        self.bytes = 0
        self.lines = 0
        self.last_output = 0.0
        self.longest_gap = 0.0
        self.closing = threading.Event()
        self.flowing = threading.Event()
        self._rest = ""
        self._thread: threading.Thread | None = None

    def open(self) -> bool:
        """Connect, start the output loop and wait for its first line; False if that failed."""
        headers = {
            "Cookie": self.browser.cookie_header(),
            "User-Agent": self.browser.user_agent,
            "Origin": self.browser.origin,
        }
        started = time.perf_counter()
        try:
            self.ws = Client.connect(self.url, headers=headers)
        except (ConnectionError, OSError) as error:
            self.dropped = f"refused ({error})"
            self.recorder.response("terminal socket open", _ms(started), _status_of(error))
            return False
        self.recorder.response("terminal socket open", _ms(started), 101)
        self.opened = True
        self.last_output = time.monotonic()
        self._thread = threading.Thread(target=self._read, name=f"bench-{self.label}", daemon=True)
        self._thread.start()
        try:
            self.ws.send(json.dumps({"type": "input", "data": FLOW_COMMAND}))
        except ConnectionClosed:
            self.dropped = self.dropped or "closed before the command was typed"
            return False
        if not self.flowing.wait(OPEN_TIMEOUT):
            self.dropped = self.dropped or "no output within the time limit"
            return False
        return self.dropped is None

    def _read(self) -> None:
        while not self.closing.is_set():
            try:
                message = self.ws.receive(timeout=1.0)
            except ConnectionClosed as closed:
                if not self.closing.is_set():
                    self.dropped = self.dropped or f"closed by the server ({closed.reason})"
                return
            now = time.monotonic()
            if message is None:
                if not self.ws.connected and not self.closing.is_set():
                    self.dropped = self.dropped or "the connection broke"
                    return
                continue
            if isinstance(message, str):
                self._notice(message)
                continue
            self.longest_gap = max(self.longest_gap, now - self.last_output)
            self.last_output = now
            self.bytes += len(message)
            lines, self._rest = output_lines(self._rest, message.decode("utf-8", "replace"))
            wall = time.time()
            for line in lines:
                stamp = timestamp_of(line)
                if stamp is not None:
                    self.lines += 1
                    self.flowing.set()
                    self.recorder.measure(TERMINAL_LAG, max(0.0, (wall - stamp) * 1000))

    def _notice(self, message: str) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            return
        if isinstance(event, dict) and event.get("type") == "exit" and not self.closing.is_set():
            self.dropped = self.dropped or f"ended: {event.get('reason', '')}"

    def reset_gap(self) -> None:
        """Start measuring silences from now (at the start of the measured window)."""
        self.last_output = time.monotonic()
        self.longest_gap = 0.0

    @property
    def stalled(self) -> bool:
        """Tell whether the output stopped for longer than STALL_SECONDS while open."""
        gap = max(self.longest_gap, time.monotonic() - self.last_output)
        return self.opened and self.dropped is None and gap > STALL_SECONDS

    def close(self) -> None:
        """Stop the loop and close the socket (the bench's own doing: not a drop)."""
        self.closing.set()
        if self.ws is None:
            return
        try:
            self.ws.send(json.dumps({"type": "input", "data": INTERRUPT}))
            self.ws.close()
        except ConnectionClosed:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _status_of(error: BaseException) -> int:
    """Return the HTTP status a refused handshake carried (0: no answer at all)."""
    code = error.args[0] if error.args else None
    return code if isinstance(code, int) else 0
