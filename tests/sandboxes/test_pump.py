"""The terminal's output pump: the shell's end is told to the browser, a hang-up from the
browser's side is not an error."""

from __future__ import annotations

import json
import logging
import socket
import threading

from app.sandboxes.recordings import NoRecording
from app.sandboxes.streams import PtyChannel
from app.sandboxes.terminal import _pump


class Browser:
    """What the pump sends to the browser's socket."""

    def __init__(self) -> None:
        self.sent: list[str | bytes] = []
        self.closed: str | None = None

    def send(self, data: str | bytes) -> None:
        self.sent.append(data)

    def close(self, message: str = "") -> None:
        self.closed = message


def _channel() -> tuple[PtyChannel, socket.socket]:
    ours, engine = socket.socketpair()
    return PtyChannel(None, "exec", ours), engine  # type: ignore[arg-type]


def test_output_reaches_the_browser_and_the_shells_end_is_told():
    channel, engine = _channel()
    browser = Browser()
    ended = threading.Event()
    pump = threading.Thread(target=_pump, args=(channel, browser, NoRecording(), ended))
    pump.start()
    engine.sendall(b"hello\r\n")
    engine.close()  # the shell exits
    pump.join(5)
    assert not pump.is_alive()
    assert browser.sent[0] == b"hello\r\n"
    assert json.loads(browser.sent[-1]) == {"type": "exit", "reason": "The shell ended."}
    assert ended.is_set()
    channel.close()


def test_a_hang_up_from_the_browsers_side_ends_the_pump_quietly(caplog):
    channel, engine = _channel()
    browser = Browser()
    ended = threading.Event()
    pump = threading.Thread(target=_pump, args=(channel, browser, NoRecording(), ended))
    with caplog.at_level(logging.ERROR, logger="academy.terminal"):
        pump.start()
        engine.sendall(b"$ ")
        # The bridge's own loop ends (the browser left) and hangs the channel up while the pump
        # still reads from it.
        for _ in range(50):
            if browser.sent:
                break
            threading.Event().wait(0.02)
        channel.close()
        pump.join(5)
        ended.set()
    assert not pump.is_alive()
    assert browser.sent == [b"$ "]
    assert browser.closed is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    engine.close()
