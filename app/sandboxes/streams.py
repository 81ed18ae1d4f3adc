"""Raw `docker exec` sockets: a command's framed output, and an interactive terminal (PTY)."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

import docker

STDOUT, STDERR = 1, 2
# An exec's output is kept whole up to this size; beyond it the tail is dropped.
OUTPUT_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a sandbox host did."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool

    @property
    def ok(self) -> bool:
        """Tell whether the command finished in time with exit status 0."""
        return self.exit_code == 0 and not self.timed_out


def run_command(
    api: docker.APIClient,
    container: str,
    command: list[str],
    *,
    user: str,
    stdin: bytes | None,
    timeout: float,
    env: dict[str, str] | None,
    workdir: str | None,
) -> ExecResult:
    """Run command in container under `timeout`, feeding stdin, and collect what it did."""
    started = time.monotonic()
    exec_id = api.exec_create(
        container,
        limited(command, timeout),
        stdin=stdin is not None,
        user=user,
        environment=env or None,
        workdir=workdir,
    )["Id"]
    sock = raw_socket(api.exec_start(exec_id, socket=True))
    try:
        if stdin is not None:
            send_stdin(sock, stdin)
        out, err, client_timeout = read_frames(sock, started + timeout + 5)
    finally:
        sock.close()
    exit_code = -1 if client_timeout else _exit_code(api, exec_id)
    seconds = time.monotonic() - started
    timed_out = client_timeout or overran(exit_code, seconds, timeout)
    return ExecResult(
        exit_code,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        round(seconds, 3),
        timed_out,
    )


def limited(command: list[str], timeout: float) -> list[str]:
    """Return command run under `timeout`, which kills it where it runs when it overruns."""
    return ["timeout", "--kill-after=2", f"{timeout:g}", *command]


def overran(exit_code: int, seconds: float, timeout: float) -> bool:
    """Tell whether `timeout` had to stop a command: it exits 124 (137 after --kill-after)."""
    return exit_code in (124, 137) and seconds >= timeout


def _exit_code(api: docker.APIClient, exec_id: str) -> int:
    # The stream can end a moment before the engine records the exit status.
    for _ in range(50):
        info = api.exec_inspect(exec_id)
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        time.sleep(0.02)
    return -1


def open_login_shell(
    api: docker.APIClient, container: str, user: str, cols: int, rows: int
) -> PtyChannel:
    """Start `bash --login` for user in its home on a terminal of the given size."""
    home = "/root" if user == "root" else f"/home/{user}"
    exec_id = api.exec_create(
        container,
        ["/bin/bash", "--login"],
        stdin=True,
        tty=True,
        user=user,
        workdir=home,
        environment={
            "TERM": "xterm-256color",
            "HOME": home,
            "USER": user,
            "LOGNAME": user,
            "SHELL": "/bin/bash",
            "LANG": "C.UTF-8",
        },
    )["Id"]
    sock = raw_socket(api.exec_start(exec_id, socket=True, tty=True))
    channel = PtyChannel(api, exec_id, sock)
    channel.resize(cols, rows)
    return channel


def raw_socket(hijacked: Any) -> socket.socket:
    """Return the socket under what docker-py hands back from a hijacked exec start."""
    sock = getattr(hijacked, "_sock", hijacked)
    if not isinstance(sock, socket.socket):
        raise TypeError(f"unexpected exec stream {type(hijacked).__name__}")
    return sock


def read_frames(sock: socket.socket, deadline: float) -> tuple[bytes, bytes, bool]:
    """Read a non-TTY exec's multiplexed output until EOF or deadline.

    Return (stdout, stderr, timed_out). Each frame is an 8-byte header (stream number, three
    zero bytes, big-endian length) and then the payload.
    """
    out = {STDOUT: bytearray(), STDERR: bytearray()}
    pending = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(out[STDOUT]), bytes(out[STDERR]), True
        ready, _, _ = select.select([sock], [], [], remaining)
        if not ready:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(out[STDOUT]), bytes(out[STDERR]), False
        pending.extend(chunk)
        while len(pending) >= 8:
            stream, size = pending[0], struct.unpack(">I", bytes(pending[4:8]))[0]
            if len(pending) < 8 + size:
                break
            target = out.get(stream)
            if target is not None and len(target) < OUTPUT_LIMIT:
                target.extend(pending[8 : 8 + size][: OUTPUT_LIMIT - len(target)])
            del pending[: 8 + size]


def send_stdin(sock: socket.socket, data: bytes) -> None:
    """Write all of data to the exec's stdin, then close it so the command sees EOF."""
    sock.setblocking(True)
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


class PtyChannel:
    """An interactive login shell in a sandbox host, attached to a pseudo-terminal."""

    def __init__(self, api: docker.APIClient, exec_id: str, sock: socket.socket) -> None:
        self.api = api
        self.exec_id = exec_id
        self.sock = sock
        self.closed = False

    def fileno(self) -> int:
        """Return the socket's descriptor (for select)."""
        return self.sock.fileno()

    def read(self, timeout: float | None = None) -> bytes | None:
        """Return the next output bytes, b"" at end of session, None when timeout passed."""
        if self.closed:
            return b""
        try:
            ready, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):  # hung up by another thread meanwhile
            return b""
        if not ready:
            return None
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        """Send keystrokes to the shell."""
        if not self.closed:
            self.sock.sendall(data)

    def resize(self, cols: int, rows: int) -> None:
        """Tell the terminal its new size."""
        cols, rows = max(10, min(cols, 500)), max(4, min(rows, 200))
        # The shell may be gone already; the read side reports the end of the session.
        with contextlib.suppress(docker.errors.APIError):
            self.api.exec_resize(self.exec_id, height=rows, width=cols)

    def close(self) -> None:
        """Hang up: the engine closes the terminal and the shell receives SIGHUP."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
