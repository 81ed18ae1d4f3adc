"""Service tabs of the lab page: a sandbox's HTTP service through the platform's proxy.

`/labs/sessions/<id>/tabs/<n>` is a platform page (the owner, or a coordinator of the trainee's
cohort, or an admin) that frames the service. The service itself is served under
`/labs/sessions/<id>/tabs/<n>/view/<ticket>/…`: the ticket is signed for that session, tab and
viewer (and the viewer's session version, so a password change ends it) and lasts
TICKET_SECONDS. A ticket is needed because the proxied page runs in an opaque origin (the CSP
`sandbox`), whose requests carry no platform cookie; the platform's cookie, when it comes, must
belong to the ticket's viewer. The proxy itself is in app/sandboxes/tabs.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from app.auth.access import login_required, public
from app.auth.models import User
from app.content.labs import Tab
from app.coordination.services import can_oversee
from app.extensions import db
from app.labs import services
from app.labs.models import LabSession, SessionStatus
from app.labs.views import _lab, _visible_session, bp

TICKET_SECONDS = 8 * 3600
URL_SAFE = "/:@!$&'()*+,;=-._~%"
TICKET_SALT = "academy.lab-tab"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TICKET_SALT)


def make_ticket(session_id: int, number: int, user: Any) -> str:
    """Return a ticket letting user view tab number of a session."""
    return str(
        _serializer().dumps([session_id, number, int(user.id), int(user.session_version or 0)])
    )


def viewer_of(ticket: str, session_id: int, number: int) -> User | None:
    """Return the user a valid ticket for this session and tab was made for, if any."""
    try:
        found = _serializer().loads(ticket, max_age=TICKET_SECONDS)
    except BadSignature:
        return None
    if not (isinstance(found, list) and len(found) == 4 and found[:2] == [session_id, number]):
        return None
    user = db.session.get(User, found[2])
    if user is None or not user.is_active or int(user.session_version or 0) != found[3]:
        return None
    return user


def may_view(user: User, session: LabSession) -> bool:
    """Tell whether user may see the session's services: its owner or an overseer."""
    return session.user_id == user.id or can_oversee(user, session.user_id)


def _tab(session: LabSession, number: int) -> Tab:
    lab = _lab(session.lab_slug)
    if not 0 <= number < len(lab.tabs):
        abort(404)
    return lab.tabs[number]


def _running(session: LabSession) -> bool:
    return session.status == SessionStatus.ACTIVE.value and session.sandbox_id is not None


@bp.route("/sessions/<int:session_id>/tabs/<int:number>")
@login_required
def tab(session_id: int, number: int) -> str:
    """Show one of the lab's services, framed, with the lab's other tabs."""
    session, lab = _visible_session(session_id)
    chosen = _tab(session, number)
    source = None
    if _running(session):
        source = url_for(
            "labs.tab_view",
            session_id=session.id,
            number=number,
            ticket=make_ticket(session.id, number, current_user),
            path=chosen.path.lstrip("/"),
        )
    return render_template(
        "labs/tab.html",
        lab=lab,
        session=session,
        tab=chosen,
        number=number,
        source=source,
        owner=session.user_id == current_user.id,
    )


@bp.route(
    "/sessions/<int:session_id>/tabs/<int:number>/view/<ticket>/",
    defaults={"path": ""},
    methods=["GET", "HEAD"],
)
@bp.route(
    "/sessions/<int:session_id>/tabs/<int:number>/view/<ticket>/<path:path>",
    methods=["GET", "HEAD"],
)
@public  # the ticket (and the cookie, when the browser sends it) says who is asking
def tab_view(session_id: int, number: int, ticket: str, path: str) -> Response:
    """Pass a request of the tab's page on to the service in the sandbox, and its answer back."""
    from app.sandboxes import tabs as proxy
    from app.sandboxes.services import parse_profile, sandbox_for

    viewer = viewer_of(ticket, session_id, number)
    if viewer is None:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=url_for("labs.tab", session_id=session_id,
                                                              number=number)))  # fmt: skip
        abort(404)
    if current_user.is_authenticated and current_user.id != viewer.id:
        abort(404)  # someone else's link, opened while logged in as another person
    session = services.session_by_id(session_id)
    if session is None or not may_view(viewer, session):
        abort(404)
    chosen = _tab(session, number)
    if not _running(session):
        abort(409, "The lab is not running, so its services are not either.")
    sandbox = sandbox_for(session.sandbox_id or "")
    if sandbox is None or not sandbox.is_ready:
        abort(409, "The lab's sandbox is not ready.")
    host = next((h for h in parse_profile(sandbox.profile) if h.name == chosen.host), None)
    if host is None:
        abort(404)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    prefix = url_for(
        "labs.tab_view", session_id=session.id, number=number, ticket=ticket, path=""
    ).rstrip("/")
    # Sent as a request line: anything a browser would not send unencoded is encoded.
    query = quote(request.query_string.decode("latin-1"), safe=URL_SAFE)
    target = "/" + quote(path, safe=URL_SAFE) + (f"?{query}" if query else "")
    db.session.commit()  # hold no transaction while the service answers
    try:
        address = proxy.host_address(app, sandbox.id, host.name)
        answer = proxy.fetch(
            address,
            chosen.port,
            chosen.scheme,
            host.hostname,
            request.method,
            target,
            {name: value for name, value in request.headers.items()},
        )
    except proxy.TabUnavailable as problem:
        return _plain(502, f"{chosen.title} is not available: {problem}.")
    names = {host.name, host.hostname, address}
    headers: list[tuple[str, str]] = []
    content_type = "application/octet-stream"
    for name, value in answer.headers:
        if name.lower() == "location":
            value = proxy.rewrite_location(value, prefix, names)
        elif name.lower() == "content-type":
            content_type = value
        headers.append((name, value))
    body = proxy.rewrite_body(answer.body, content_type, prefix)
    response = Response(body, status=answer.status, headers=headers)
    _harden(response)
    return response


def _plain(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    _harden(response)
    return response


def _harden(response: Response) -> None:
    """Headers every proxied answer carries, whatever the service said."""
    from app.sandboxes.tabs import SANDBOX_CSP

    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
