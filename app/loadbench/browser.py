"""One simulated trainee's browser: cookies, User-Agent, CSRF token, keep-alive connections.

Like a browser it keeps a few connections open (one per thread acting for the trainee) and
retries once when the server closed an idle keep-alive connection. It never follows redirects by
itself: the scenario does what the page would do next. Every response is timed into a Recorder.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from app.loadbench.pages import read_page
from app.loadbench.stats import Recorder

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Raised when a kept-alive connection turned out to be closed by the server.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class BenchError(RuntimeError):
    """The bench cannot go on (the server is unreachable, a login failed, ...)."""


def loopback_url(url: str, schemes: tuple[str, ...]) -> str:
    """Return url without a trailing slash, refusing anything but this machine's loopback."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise BenchError(f"{url!r}: the address must start with {' or '.join(schemes)}://")
    if parts.hostname not in LOOPBACK:
        raise BenchError(f"{url!r}: the load bench only drives a server on 127.0.0.1")
    return url.rstrip("/")


@dataclass
class Reply:
    """A response: status (0 when none came), headers, body and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    ms: float

    @property
    def location(self) -> str:
        """Return the path a redirect points to."""
        target = urlsplit(self.headers.get("location", ""))
        return target.path + (f"?{target.query}" if target.query else "")

    def json(self) -> Any:
        """Return the body as JSON (None if it is not)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        """Return the body as text."""
        return self.body.decode("utf-8", "replace")


class Browser:
    """The HTTP side of one simulated trainee."""

    def __init__(self, base_url: str, user_agent: str, recorder: Recorder, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.user_agent = user_agent
        self.recorder = recorder
        self.timeout = timeout
        self.csrf_token = ""
        self._cookies: dict[str, str] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []

    # -- cookies ----------------------------------------------------------------------------

    def cookie_header(self) -> str:
        """Return the Cookie header this browser sends."""
        with self._lock:
            return "; ".join(f"{name}={value}" for name, value in self._cookies.items())

    def _keep_cookies(self, headers: list[str]) -> None:
        for line in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(line)
            except Exception:  # noqa: S112 - a cookie the bench cannot read is one it does not need
                continue
            with self._lock:
                for name, morsel in jar.items():
                    gone = morsel["max-age"] == "0" or morsel.value == ""
                    if gone or "1970" in morsel["expires"]:
                        self._cookies.pop(name, None)
                    else:
                        self._cookies[name] = morsel.value

    # -- requests ---------------------------------------------------------------------------

    def _connection(self, fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        """Return this thread's connection and whether it has served a request before."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not fresh:
            return conn, True
        if conn is not None:
            conn.close()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn, False

    def request(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request and time it until its whole body has arrived."""
        sent = {"User-Agent": self.user_agent, "Accept": "text/html,application/json"}
        sent.update(headers or {})
        cookies = self.cookie_header()
        if cookies:
            sent["Cookie"] = cookies
        started = time.perf_counter()
        conn, reused = self._connection()
        for attempt in (1, 2):
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
                break
            except STALE as error:
                if attempt == 2 or not reused:
                    return self._failed(endpoint, started, f"{type(error).__name__}")
                conn, reused = self._connection(fresh=True)
            except (OSError, http.client.HTTPException) as error:
                self._connection(fresh=True)
                return self._failed(endpoint, started, f"{type(error).__name__}: {error}")
        ms = (time.perf_counter() - started) * 1000
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        if response.will_close:
            self._connection(fresh=True)
        reply = Reply(
            response.status, {k.lower(): v for k, v in response.headers.items()}, data, ms
        )
        self.recorder.response(endpoint, ms, reply.status)
        return reply

    def _failed(self, endpoint: str, started: float, why: str) -> Reply:
        ms = (time.perf_counter() - started) * 1000
        self.recorder.response(endpoint, ms, 0)
        self.recorder.problem(f"{endpoint}: no response ({why})")
        return Reply(0, {}, b"", ms)

    def get(self, path: str, endpoint: str) -> Reply:
        """GET a page or JSON."""
        return self.request("GET", path, endpoint)

    def post_form(
        self, path: str, endpoint: str, fields: list[tuple[str, str]] | None = None
    ) -> Reply:
        """POST a form with the CSRF token, as a form submit or the quiz page's save does."""
        pairs = [("csrf_token", self.csrf_token), *(fields or [])]
        return self.request(
            "POST",
            path,
            endpoint,
            body=urlencode(pairs).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.csrf_token,
                "Origin": self.origin,
            },
        )

    def post_json(self, path: str, endpoint: str, data: dict[str, Any]) -> Reply:
        """POST JSON with the CSRF header, as the lab page's scripts do."""
        return self.request(
            "POST",
            path,
            endpoint,
            body=json.dumps(data).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.csrf_token,
                "Origin": self.origin,
            },
        )

    def log_in(self, email: str, password: str) -> None:
        """Log in through the login form and keep the session's CSRF token."""
        page = self.get("/login", "login page")
        token = read_page(page.text).csrf_token if page.status == 200 else None
        if not token:
            raise BenchError(f"the login page did not load (status {page.status})")
        self.csrf_token = token
        reply = self.post_form("/login", "login", [("email", email), ("password", password)])
        if reply.status != 302 or reply.location.startswith("/login"):
            raise BenchError(f"logging in as {email} failed (status {reply.status})")
        home = self.get("/plan", "plan page")
        token = read_page(home.text).csrf_token if home.status == 200 else None
        if not token:
            raise BenchError(f"the plan page did not load after logging in (status {home.status})")
        self.csrf_token = token

    def close(self) -> None:
        """Close every connection this browser opened."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.close()


def server_answers(base_url: str, timeout: float = 5.0) -> bool:
    """Tell whether the platform answers its login page."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
    )
    try:
        conn.request("GET", "/login")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
