"""Service tabs: an HTTP service of a sandbox host, fetched by the platform for the lab page.

The platform reaches the host over the sandbox's private network (the host firewall only fences
sandbox → host traffic; replies to the platform's own connections pass), so no port of a sandbox
is ever published. What goes to the sandbox and what comes back is narrowed:

* **Request**: GET or HEAD only, with the path and query asked for and a short list of harmless
  headers (Accept, Accept-Language, If-None-Match, If-Modified-Since, User-Agent); never the
  platform's cookies, Authorization, CSRF tokens, Referer or forwarding headers. `Host` is the
  host's own name; the body is asked for unencoded.
* **Response**: at most MAX_BYTES, within TOTAL_SECONDS (else 502 with the reason); only
  headers that describe the content are kept, so nothing the sandbox says can set or clear the
  platform's cookies (Set-Cookie, Clear-Site-Data), pin its transport (HSTS) or loosen its
  policies. Redirects within the host and root-relative links in HTML and CSS are rewritten under
  the tab's prefix; nothing else is changed.
* The caller serves it with a Content-Security-Policy `sandbox` (see SANDBOX_CSP): the page runs
  in an opaque origin, so it cannot read the platform's cookies or storage, and its requests to
  the platform carry no cookie (measured in Chromium: a sandboxed page's subresource and fetch
  requests go without the SameSite=Lax session cookie), so it cannot call the platform's APIs
  as the trainee.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
from dataclasses import dataclass

from flask import Flask

from app.sandboxes.runtime import container_name, get_runtime, network_name

MAX_BYTES = 5 * 1024 * 1024
CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 15.0
CHUNK = 64 * 1024
FORWARD_HEADERS = (
    "Accept",
    "Accept-Language",
    "If-None-Match",
    "If-Modified-Since",
    "User-Agent",
)
KEEP_HEADERS = (
    "Content-Type",
    "Content-Language",
    "ETag",
    "Last-Modified",
    "Expires",
    "Vary",
)
# Served with every proxied response: an opaque origin (no allow-same-origin), scripts and GET
# forms allowed so dashboards work, framed only by the platform's own tab page.
SANDBOX_CSP = "sandbox allow-scripts allow-forms; frame-ancestors 'self'"
REWRITTEN_TYPES = ("text/html", "text/css")
ROOT_LINK = re.compile(rb"""(\s(?:href|src|action|poster|formaction)\s*=\s*["'])/(?![/\\])""", re.I)
CSS_ROOT_URL = re.compile(rb"""(url\(\s*["']?)/(?![/\\])""", re.I)


class TabUnavailable(Exception):
    """The service could not be reached or answered badly; the message says why."""


@dataclass(frozen=True)
class Fetched:
    """What the service answered, narrowed to what may be passed on."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def host_address(app: Flask, sandbox_id: str, host: str) -> str:
    """Return the host's address on its sandbox network (asked of the engine)."""
    runtime = get_runtime(app, images=[])
    try:
        details = runtime.api.inspect_container(container_name(sandbox_id, host))
    except Exception as error:
        raise TabUnavailable(f"the host {host} is not running") from error
    networks = (details.get("NetworkSettings") or {}).get("Networks") or {}
    address = (networks.get(network_name(sandbox_id)) or {}).get("IPAddress")
    if not address:
        raise TabUnavailable(f"the host {host} has no address on its sandbox network")
    return str(address)


def fetch(
    address: str,
    port: int,
    scheme: str,
    server_name: str,
    method: str,
    target: str,
    headers: dict[str, str],
) -> Fetched:
    """Ask the service for target (path and query), within the size and time caps."""
    sent = {name: headers[name] for name in FORWARD_HEADERS if headers.get(name)}
    sent["Host"] = server_name if port in (80, 443) else f"{server_name}:{port}"
    sent["Accept-Encoding"] = "identity"
    sent["Connection"] = "close"
    connection: http.client.HTTPConnection
    if scheme == "https":
        # The sandbox's certificate comes from its own internal CA, which the trainee controls:
        # it proves nothing here, and the network is the sandbox's private one.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            address, port, timeout=CONNECT_SECONDS, context=context
        )
    else:
        connection = http.client.HTTPConnection(address, port, timeout=CONNECT_SECONDS)
    deadline = time.monotonic() + TOTAL_SECONDS
    try:
        connection.request(method, target, headers=sent)
        response = connection.getresponse()
        body = bytearray()
        while method != "HEAD":
            if time.monotonic() > deadline:
                raise TabUnavailable(f"the service took longer than {TOTAL_SECONDS:.0f} s")
            chunk = response.read(CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > MAX_BYTES:
                raise TabUnavailable(
                    f"the answer is larger than {MAX_BYTES // (1024 * 1024)} MB, "
                    "more than a tab shows"
                )
        kept = [(k, v) for k, v in response.getheaders() if k.title() in KEEP_HEADERS]
        location = response.getheader("Location")
        if location:
            kept.append(("Location", location))
        return Fetched(response.status, kept, bytes(body))
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise TabUnavailable(f"the service did not answer ({type(error).__name__})") from error
    finally:
        connection.close()


def rewrite_location(location: str, prefix: str, names: set[str]) -> str:
    """Keep a redirect within the tab: root-relative ones, and absolute ones to the host."""
    if location.startswith("/") and not location.startswith("//"):
        return prefix + location
    match = re.match(r"^https?://([^/?#]+)(.*)$", location)
    if match and match.group(1).split(":")[0].lower() in names:
        rest = match.group(2) or "/"
        return prefix + (rest if rest.startswith("/") else "/" + rest)
    return location


def rewrite_body(body: bytes, content_type: str, prefix: str) -> bytes:
    """Put root-relative links of HTML and CSS under the tab's prefix; leave the rest alone."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in REWRITTEN_TYPES:
        return body
    base = prefix.encode() + b"/"
    body = CSS_ROOT_URL.sub(lambda m: m.group(1) + base, body)
    if kind == "text/html":
        body = ROOT_LINK.sub(lambda m: m.group(1) + base, body)
    return body
