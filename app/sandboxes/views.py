"""Sandbox pages: the terminal and watch sockets, status, recordings, and the admin page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import login_required, roles_required
from app.auth.models import Role
from app.config import Settings
from app.coordination.services import can_oversee
from app.extensions import db, sock
from app.sandboxes import services
from app.sandboxes import terminal as bridge
from app.sandboxes.forms import SandboxActionForm
from app.sandboxes.models import Sandbox, TerminalRecording
from app.sandboxes.overview import overview
from app.sandboxes.recordings import recording_path
from app.web import CSP

bp = Blueprint("sandboxes", __name__)

EXTEND_MINUTES = 30
# The recording player compiles its terminal emulator from WebAssembly.
PLAYER_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def _settings() -> Settings:
    settings: Settings = current_app.config["ACADEMY"]
    return settings


def _sandbox_or_404(sandbox_id: str) -> Sandbox:
    sandbox = services.sandbox_for(sandbox_id)
    if sandbox is None:
        abort(404)
    return sandbox


def _is_owner(sandbox: Sandbox) -> bool:
    return sandbox.owner_id is not None and sandbox.owner_id == current_user.id


def _may_watch(sandbox: Sandbox) -> bool:
    if current_user.has_role(Role.ADMIN):
        return True
    return sandbox.owner_id is not None and can_oversee(current_user, sandbox.owner_id)


def _host(sandbox: Sandbox) -> str:
    hosts = [h.name for h in services.parse_profile(sandbox.profile)]
    chosen = request.args.get("host") or hosts[0]
    if chosen not in hosts:
        abort(404)
    return chosen


# -- sockets ----------------------------------------------------------------------------------


@bp.before_request
def _authorise_socket() -> None:
    """Refuse a terminal or watch socket with a plain HTTP status, before the handshake."""
    if request.endpoint not in ("sandboxes.terminal", "sandboxes.watch"):
        return
    if not current_user.is_authenticated:
        abort(401)
    origin = request.headers.get("Origin")
    settings = current_app.config["ACADEMY"]
    pages = {request.host, urlsplit(settings.base_url).netloc}
    if origin and urlsplit(origin).netloc not in pages:
        abort(403)  # another site's page must not drive a trainee's terminal
    # No permessage-deflate: a small compressed frame could inflate to gigabytes in this process
    # before any size limit applies. Without the client's offer, the server never accepts it.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    sandbox = _sandbox_or_404(str((request.view_args or {}).get("sandbox_id", "")))
    if request.endpoint == "sandboxes.terminal" and not _is_owner(sandbox):
        abort(403)
    if request.endpoint == "sandboxes.watch" and not (_is_owner(sandbox) or _may_watch(sandbox)):
        abort(403)
    if not sandbox.is_ready:
        abort(409, "The sandbox is not ready.")
    host = _host(sandbox)
    image = next(h.image for h in services.parse_profile(sandbox.profile) if h.name == host)
    g.sandbox_socket = (sandbox.id, host, image, current_user.id)
    # The connection can stay open for hours: hold no transaction (and no pooled connection).
    db.session.commit()


@sock.route("/sandboxes/<sandbox_id>/terminal", bp=bp)
@login_required
def terminal(ws: Any, sandbox_id: str) -> None:
    """Bridge the owner's browser terminal to a login shell in the sandbox."""
    sandbox_id, host, image, user_id = g.sandbox_socket
    cols, rows = bridge.terminal_size(request.args.get("cols"), request.args.get("rows"))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with bridge.slot(ws, app, user_id, sandbox_id) as granted:
        if granted:
            bridge.bridge(ws, app, sandbox_id, host, image, user_id, cols, rows)


@sock.route("/sandboxes/<sandbox_id>/watch", bp=bp)
@login_required
def watch(ws: Any, sandbox_id: str) -> None:
    """Stream the sandbox's terminal to an overseeing coordinator or admin, read-only."""
    sandbox_id, host, _, user_id = g.sandbox_socket
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with bridge.slot(ws, app, user_id, sandbox_id) as granted:
        if granted:
            bridge.watch(ws, app, sandbox_id, request.args.get("host") and host)


# -- pages ------------------------------------------------------------------------------------


@bp.route("/sandboxes/<sandbox_id>")
@login_required
def show(sandbox_id: str) -> str:
    """Show a sandbox: its terminal for the owner, a live read-only view for overseers."""
    sandbox = _sandbox_or_404(sandbox_id)
    if not (_is_owner(sandbox) or _may_watch(sandbox)):
        abort(403)
    return render_template(
        "sandboxes/show.html",
        sandbox=sandbox,
        host=_host(sandbox),
        readonly=not _is_owner(sandbox),
        recordings=services.recordings_of_sandbox(sandbox.id),
        unavailable=services.unavailable_reason(current_app._get_current_object()),  # type: ignore[attr-defined]
        form=SandboxActionForm(),
    )


@bp.route("/sandboxes/<sandbox_id>/status")
@login_required
def status(sandbox_id: str) -> Response:
    """Report a sandbox's state and progress as JSON (polled by the terminal include)."""
    sandbox = _sandbox_or_404(sandbox_id)
    if not (_is_owner(sandbox) or _may_watch(sandbox)):
        abort(403)
    payload = services.status_of(sandbox, _settings())
    payload["unavailable"] = services.unavailable_reason(current_app._get_current_object())  # type: ignore[attr-defined]
    return jsonify(payload)


@bp.route("/sandboxes/<sandbox_id>/extend", methods=["POST"])
@login_required
def extend(sandbox_id: str) -> BaseResponse:
    """Give the owner more time (and reset the idle clock)."""
    sandbox = _sandbox_or_404(sandbox_id)
    if not _is_owner(sandbox):
        abort(403)
    if not SandboxActionForm().validate_on_submit():
        abort(400)
    try:
        services.extend(sandbox.id, EXTEND_MINUTES)
    except ValueError as refused:
        abort(409, str(refused))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(services.status_of(sandbox, _settings()))
    flash("The sandbox stays open longer.", "info")
    return redirect(url_for("sandboxes.show", sandbox_id=sandbox.id))


@bp.route("/sandboxes/<sandbox_id>/release", methods=["POST"])
@login_required
def release(sandbox_id: str) -> BaseResponse:
    """Close a sandbox now (its owner, or an admin)."""
    sandbox = _sandbox_or_404(sandbox_id)
    if not (_is_owner(sandbox) or current_user.has_role(Role.ADMIN)):
        abort(403)
    if not SandboxActionForm().validate_on_submit():
        abort(400)
    services.release(sandbox.id)
    flash("The sandbox is being removed.", "info")
    if current_user.has_role(Role.ADMIN) and request.form.get("back") == "admin":
        return redirect(url_for("sandboxes.admin"))
    return redirect(url_for("sandboxes.show", sandbox_id=sandbox.id))


# -- recordings -------------------------------------------------------------------------------


def _recording_or_404(recording_id: int) -> TerminalRecording:
    recording = db.session.get(TerminalRecording, recording_id)
    if recording is None:
        abort(404)
    if recording.user_id != current_user.id and not can_oversee(current_user, recording.user_id):
        abort(403)
    return recording


@bp.route("/recordings/<int:recording_id>")
@login_required
def recording(recording_id: int) -> Response:
    """Replay a terminal recording in the browser, with whose terminal it was and where."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.content import get_catalog

    found = _recording_or_404(recording_id)
    # The lab session its sandbox served, when labs are installed and it was a lab's.
    lab_session: Any = None
    lab: Any = None
    try:
        from app.labs.models import LabSession
    except ImportError:
        pass
    else:
        lab_session = db.session.scalar(
            select(LabSession)
            .where(LabSession.sandbox_id == found.sandbox_id)
            .order_by(LabSession.id.desc())
            .limit(1)
        )
        if lab_session is not None:
            lab = get_catalog().sections.get("labs", {}).get(lab_session.lab_slug)
    page = render_template(
        "sandboxes/recording.html",
        recording=found,
        trainee=db.session.get(User, found.user_id),
        owner=found.user_id == current_user.id,
        sandbox=services.sandbox_for(found.sandbox_id),
        lab_session=lab_session,
        lab=lab,
        others=[r for r in services.recordings_of_sandbox(found.sandbox_id) if r.id != found.id],
    )
    response = Response(page)
    response.headers["Content-Security-Policy"] = PLAYER_CSP
    return response


@bp.route("/recordings/<int:recording_id>.cast")
@login_required
def recording_file(recording_id: int) -> Response:
    """Download a terminal recording (asciicast v2)."""
    found = _recording_or_404(recording_id)
    path = recording_path(_settings(), found)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/x-asciicast", max_age=0)
    response.headers["Content-Disposition"] = f'inline; filename="recording-{found.id}.cast"'
    return response


# -- admin ------------------------------------------------------------------------------------


@bp.route("/admin/sandboxes")
@roles_required(Role.ADMIN)
def admin() -> str:
    """Show capacity, the warm pool and every sandbox, with destroy buttons."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return render_template("sandboxes/admin.html", view=overview(app), form=SandboxActionForm())


@bp.route("/admin/sandboxes/try", methods=["POST"])
@roles_required(Role.ADMIN)
def try_sandbox() -> BaseResponse:
    """Open a sandbox of the default profile for the admin (to check the set-up end to end)."""
    if not SandboxActionForm().validate_on_submit():
        abort(400)
    sandbox = services.request_sandbox(services.DEFAULT_PROFILE, current_user.id, "admin:try")
    return redirect(url_for("sandboxes.show", sandbox_id=sandbox.id))
