"""The probe's agent: check commands sent over TCP instead of one `docker exec` each.

A `docker exec` costs the engine about 0.07 CPU-s (its API, containerd and a runc process) before
the command does anything, and on a busy machine it also waits behind every terminal's stream in
the engine. So each probe container runs a small agent as its main process (probe_agent.pl, in
perl because only perl-base is sure to be in a sandbox's image). The worker connects to the
probe's private address, which it reaches from the host's network namespace, and the agent runs
the same command an exec would have run, with the same stdin, time limit and output limits.

The trainee's hosts share that network, so the agent trusts nobody without the probe's key: a
random key given to the probe's environment at creation (only the engine's API shows it). Every
request carries an HMAC over a nonce the agent just chose, and every answer an HMAC over the
request, so someone without the key can neither run a command nor answer in the agent's place,
not even from an address they took over. When the agent cannot be asked, or its answer is not
believed, the probe falls back to `docker exec`, the path that needs no agent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
import time
from functools import cache
from pathlib import Path

from app.sandboxes.streams import ExecResult, limited, overran

AGENT_PORT = 7191
KEY_ENV = "ACADEMY_PROBE_KEY"
SOURCE_ENV = "ACADEMY_PROBE_AGENT"
AGENT_FILE = Path(__file__).with_name("probe_agent.pl")
GREETING = b"ACADEMY-PROBE 1 "
CONNECT_TIMEOUT = 2.0
# The agent stops the command this long after its own time limit; the client waits longer still.
AGENT_GRACE = 3
CLIENT_GRACE = 5
HEADER_LIMIT = 200
# The agent takes requests up to this size (probe_agent.pl's MAX_BODY); bigger ones go by exec.
MAX_BODY = 2 * 1024 * 1024


class AgentUnavailable(Exception):
    """The agent could not be asked (nothing ran): the caller may use `docker exec` instead."""


class AgentRefused(Exception):
    """The answer did not come from the key's holder: it is not to be believed."""


@cache
def _source() -> str:
    return AGENT_FILE.read_text(encoding="utf-8")


def entrypoint() -> list[str]:
    """Return the probe container's main command: the agent (from its environment) under tini."""
    loader = f"my $agent = delete $ENV{{{SOURCE_ENV}}}; eval $agent; die $@ if $@;"
    return ["/usr/bin/tini", "--", "/usr/bin/perl", "-e", loader]


def environment() -> dict[str, str]:
    """Return a new probe's environment: the agent's text and a fresh key of its own."""
    return {SOURCE_ENV: _source(), KEY_ENV: secrets.token_hex(32)}


def key_of(environment: list[str] | None) -> str:
    """Return the agent key from a container's environment list, "" if it has none."""
    prefix = f"{KEY_ENV}="
    return next((e[len(prefix) :] for e in environment or [] if e.startswith(prefix)), "")


def run(
    address: str,
    key: str,
    command: list[str],
    *,
    stdin: bytes | None,
    timeout: float,
    port: int = AGENT_PORT,
) -> ExecResult:
    """Run command through the agent at address, as `streams.run_command` runs it by exec.

    Raise AgentUnavailable when nothing was run (no agent, refused, cut before the request was
    sent) and AgentRefused when the answer fails its HMAC.
    """
    started = time.monotonic()
    body = _body(limited(command, timeout), stdin or b"", int(timeout) + AGENT_GRACE)
    if len(body) > MAX_BODY:
        raise AgentUnavailable(f"a request of {len(body)} bytes is more than the agent takes")
    try:
        conn = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
    except OSError as error:
        raise AgentUnavailable(f"cannot reach the probe agent at {address}: {error}") from None
    with conn:
        try:
            greeting = _read_line(conn)
            if not greeting.startswith(GREETING):
                raise AgentUnavailable(f"no probe agent at {address}")
            nonce = greeting[len(GREETING) :]
            mac = hmac.new(key.encode(), nonce + body, hashlib.sha256).hexdigest().encode()
            conn.sendall(b"RUN %d %s\n" % (len(body), mac) + body)
        except OSError as error:
            raise AgentUnavailable(f"the probe agent at {address} hung up: {error}") from None
        deadline = started + timeout + CLIENT_GRACE
        try:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            header = _read_line(conn)
            fields = header.split(b" ")
            if len(fields) != 6 or fields[0] != b"DONE":
                raise AgentRefused(f"the probe agent at {address} answered {header[:60]!r}")
            exit_code, agent_timed_out, out_size, err_size = (int(f) for f in fields[1:5])
            payload = _read_exact(conn, out_size + err_size, deadline)
        except TimeoutError:
            return ExecResult(-1, "", "", round(time.monotonic() - started, 3), True)
        except (OSError, ValueError) as error:
            raise AgentRefused(f"the probe agent at {address} broke off: {error}") from None
    signed = b"%s\n%s\n%s\n" % (nonce, mac, b" ".join(fields[1:5])) + payload
    expected = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, fields[5]):
        raise AgentRefused(f"the answer from {address} is not signed with the probe's key")
    seconds = time.monotonic() - started
    timed_out = bool(agent_timed_out) or overran(exit_code, seconds, timeout)
    return ExecResult(
        exit_code,
        payload[:out_size].decode("utf-8", "replace"),
        payload[out_size:].decode("utf-8", "replace"),
        round(seconds, 3),
        timed_out,
    )


def _body(argv: list[str], stdin: bytes, deadline: int) -> bytes:
    fields = [str(deadline), str(len(argv)), *argv]
    if any("\0" in field for field in fields):
        raise ValueError("a command's arguments cannot hold NUL bytes")
    return b"".join(field.encode() + b"\0" for field in fields) + stdin


def _read_line(conn: socket.socket) -> bytes:
    line = bytearray()
    while len(line) <= HEADER_LIMIT:
        chunk = conn.recv(1)
        if not chunk:
            raise OSError("connection closed")
        if chunk == b"\n":
            return bytes(line)
        line += chunk
    raise OSError("header line too long")


def _read_exact(conn: socket.socket, size: int, deadline: float) -> bytes:
    data = bytearray()
    while len(data) < size:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = conn.recv(min(1 << 20, size - len(data)))
        if not chunk:
            raise OSError("connection closed early")
        data += chunk
    return bytes(data)
