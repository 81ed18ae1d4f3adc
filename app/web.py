"""Request lifecycle shared by every feature: one commit per request, errors, headers, logs."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, render_template, request, send_from_directory
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app.auth.access import public
from app.extensions import db

log = logging.getLogger("academy.request")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
# Sent over HTTPS (or when the base URL is https): browsers then refuse plain HTTP for a year.
HSTS = "max-age=31536000"


class JsonFormatter(logging.Formatter):
    """Format log records as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record and any structured fields it carries."""
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging() -> None:
    """Send the platform's logs to stderr as JSON lines (once per process)."""
    root = logging.getLogger("academy")
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False


def after_commit(callback: Callable[[], None]) -> None:
    """Run callback once this request's transaction has been committed."""
    g.setdefault("after_commit", []).append(callback)


# The navigation bar: (label, endpoint, roles, section). An entry shows only when its feature is
# installed (the endpoint exists) and the user holds one of its roles. It is the current page on
# its own endpoint, and marks its section on the endpoints `section` names (a name ending in "."
# stands for a whole blueprint).
EVERYONE = ("trainee", "coordinator", "admin")
NAV = (
    ("Plan", "learning.plan", EVERYONE, ("learning.", "quizzes.day_quiz")),
    ("Labs", "labs.index", EVERYONE, ("labs.",)),
    ("Assessment", "quizzes.assessment", ("trainee",), ()),
    ("Sign-off", "certification.checklist", ("trainee",), ("certification.acknowledgment",)),
    ("Drills", "drills.mine", ("trainee",), ("drills.mine", "drills.record_activity")),
    (
        "Team",
        "coordination.dashboard",
        ("coordinator", "admin"),
        ("coordination.", "certification.admin_certificates", "drills.team"),
    ),
    ("Quiz statistics", "quizzes.statistics", ("coordinator", "admin"), ("quizzes.regrade",)),
    ("Invite", "auth.invite", ("coordinator", "admin"), ()),
    ("Users", "auth.users", ("admin",), ()),
    ("Sandboxes", "sandboxes.admin", ("admin",), ("sandboxes.",)),
)


# Entries shown only when a condition on the user holds (e.g. Drills: holders of a certificate),
# registered by the feature that owns the endpoint: endpoint -> callable(user) -> bool.
NAV_CONDITIONS: dict[str, Callable[[Any], bool]] = {}


def nav_current(endpoint: str, section: tuple[str, ...], here: str | None) -> str | None:
    """Return the aria-current value of a navigation entry: "page", "true" (its section) or None."""
    if here is None:
        return None
    if here == endpoint:
        return "page"
    for name in section:
        if here == name or (name.endswith(".") and here.startswith(name)):
            return "true"
    return None


def init_app(app: Flask) -> None:
    """Install the request lifecycle hooks and error pages."""
    configure_logging()
    proxies = app.config["ACADEMY"].trusted_proxies
    if proxies:
        # Believe X-Forwarded-For and -Proto only as set by that many proxies in front, so the
        # login throttle sees each client's own address and HTTPS is recognised behind TLS.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
    https_site = app.config["ACADEMY"].base_url.startswith("https://")

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        def nav_items() -> list[tuple[str, str, str | None]]:
            if not current_user.is_authenticated:
                return []
            return [
                (label, endpoint, nav_current(endpoint, section, request.endpoint))
                for label, endpoint, roles, section in NAV
                if endpoint in app.view_functions
                and current_user.role in roles
                and (endpoint not in NAV_CONDITIONS or NAV_CONDITIONS[endpoint](current_user))
            ]

        def has_endpoint(endpoint: str) -> bool:
            return endpoint in app.view_functions

        return {"nav_items": nav_items, "has_endpoint": has_endpoint}

    @app.get("/healthz")
    @public
    def healthz() -> tuple[dict[str, str], int]:
        # For a service manager's or load balancer's health check: the process answers and
        # its database does. No detail beyond that, and nothing is written.
        from sqlalchemy import text

        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # any failure to reach the database is "unhealthy"
            db.session.rollback()
            log.warning("health check: the database does not answer", exc_info=True)
            return {"status": "unhealthy", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}, 200

    @app.get("/favicon.ico")
    @public
    def favicon() -> Response:
        # Browsers ask for /favicon.ico whatever the page links to: answer with the SVG icon.
        assert app.static_folder is not None
        return send_from_directory(
            app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
        )

    @app.before_request
    def _start() -> None:
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        # Noted before the commit expires the user's row: reading it afterwards (for the log
        # line) would cost every request one more query.
        g.log_user = _logged_in_user_id()
        if response.status_code < 400:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            for callback in g.pop("after_commit", []):
                try:
                    callback()
                except Exception:
                    log.exception("after-commit action failed")
        else:
            db.session.rollback()
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if https_site or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        _log_request(response.status_code)
        return response

    @app.teardown_request
    def _teardown(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        return render_template(
            "errors.html", code=code, title=exc.name, message=exc.description
        ), code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        db.session.rollback()
        log.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id")}})
        message = "Something went wrong on our side. The error has been logged."
        return render_template("errors.html", code=500, title="Server error", message=message), 500


def _logged_in_user_id() -> int | None:
    """Return the id of the user this request loaded, if any (loading nobody to find out)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    return user.id if user is not None and user.is_authenticated else None


def _log_request(status: int) -> None:
    started = g.get("started")
    user_id = g.log_user if "log_user" in g else _logged_in_user_id()
    log.info(
        "request",
        extra={
            "fields": {
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": request.path,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "user": user_id,
            }
        },
    )
