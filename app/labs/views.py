"""Lab pages: the list, a lab's detail, the workspace beside the terminal, and the evidence."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.auth.access import login_required, roles_required
from app.auth.models import Role
from app.clock import as_utc
from app.content import get_catalog
from app.content.labs import Lab, labs_of
from app.coordination.services import can_oversee
from app.extensions import db
from app.labs import exam, services, updates
from app.labs.forms import AnswerForm, ExamRecordForm, ExamReviewForm, LabActionForm, UpdateForm
from app.labs.models import LabSession, SessionStatus, Trigger
from app.labs.status import evidence_rows, session_status, task_views, wait_for_a_run
from app.labs.values import fill_html
from app.web import after_commit

bp = Blueprint("labs", __name__, url_prefix="/labs")


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _too_many(refused: services.TooManyPresses) -> tuple[Response, int]:
    response = jsonify(error=str(refused), retry_after=refused.retry_after)
    response.headers["Retry-After"] = str(refused.retry_after)
    return response, 429


def _unavailable() -> str | None:
    try:
        from app.sandboxes.services import unavailable_reason
    except ImportError:
        return "Sandboxes are not installed on this platform, so labs cannot run."
    return unavailable_reason(_app())


def _wake_after_commit() -> None:
    from app.sandboxes.supervisor import wake

    app = _app()
    after_commit(lambda: wake(app))


def _run_after_commit(run_id: int) -> None:
    """Hand a queued check run to this process's supervisor as soon as it is committed.

    Waiting for the next tick would add the other supervisor tasks' time to every Check press;
    a separate worker (no supervisor here) still picks the run up on its own tick.
    """
    from app.labs.jobs import run_queued
    from app.sandboxes.supervisor import supervisor_of

    app = _app()

    def hand_over() -> None:
        supervisor = supervisor_of(app)
        if supervisor is not None:
            supervisor.submit(run_queued, app, run_id, quick=True)

    after_commit(hand_over)


def _lab(slug: str) -> Lab:
    return labs_of(get_catalog()).get(slug) or abort(404)


def _own_session(session_id: int) -> tuple[LabSession, Lab]:
    """Return a session the current user owns (404 for anyone else's)."""
    session = services.session_by_id(session_id)
    if session is None or session.user_id != current_user.id:
        abort(404)
    return session, _lab(session.lab_slug)


def _visible_session(session_id: int) -> tuple[LabSession, Lab]:
    """Return a session the current user may see: their own, or a trainee they oversee."""
    session = services.session_by_id(session_id)
    if session is None:
        abort(404)
    if session.user_id != current_user.id and not can_oversee(current_user, session.user_id):
        abort(404)
    return session, _lab(session.lab_slug)


@bp.route("")
@login_required
def index() -> str:
    """List the labs by day, and the user's lab sessions."""
    catalog = get_catalog()
    return render_template(
        "labs/index.html",
        labs=list(labs_of(catalog).values()),
        days={day.id: day for day in catalog.days},
        sessions=services.sessions_of(current_user.id),
        passed=services.passed_lab_slugs(current_user.id),
        unavailable=_unavailable(),
    )


def _detail_page(lab: Lab, unavailable: str | None) -> str:
    sessions = [s for s in services.sessions_of(current_user.id) if s.lab_slug == lab.id]
    # Before a session exists its values are not drawn: show where they will go.
    unknown = {spec.name: "…" for spec in lab.values}
    return render_template(
        "labs/detail.html",
        personal=lambda html: fill_html(html, unknown, "…", lab.hosts[0].name),
        lab=lab,
        day=get_catalog().day(lab.day_id),
        sessions=sessions,
        current=next((s for s in sessions if s.is_open), None),
        unavailable=unavailable,
        form=LabActionForm(),
        standing=exam.standing(current_user.id, lab) if lab.is_exam else None,
    )


@bp.route("/<slug>")
@login_required
def detail(slug: str) -> str:
    """Show a lab: what it asks, its tasks, and a Start (or Continue) button."""
    return _detail_page(_lab(slug), _unavailable())


@bp.route("/<slug>/start", methods=["POST"])
@login_required
def start(slug: str) -> Response | tuple[str, int]:
    """Start a session of the lab (or go back to the open one)."""
    lab = _lab(slug)
    if not LabActionForm().validate_on_submit():
        abort(400)
    current = services.open_session(current_user.id, slug)
    if current is None:
        reason = _unavailable()
        if reason:
            return _detail_page(lab, reason), 503
        try:
            current = services.start_session(
                current_user.id,
                lab,
                get_catalog().version,
                sandbox_quota=_app().config["ACADEMY"].sandboxes_per_trainee,
            )
        except services.QuotaExceeded as refused:
            flash(str(refused), "error")
            return _detail_page(lab, None), 409
        except services.LabError as refused:
            # An exam's rules: attempts used, the cool-down, or passed already.
            flash(str(refused), "error")
            return _detail_page(lab, None), 409
        except IntegrityError:
            # A parallel Start of the same lab (a double click) won: go to its session.
            current = services.open_session(current_user.id, slug) or abort(409)
        else:
            _wake_after_commit()
    return redirect(url_for("labs.workspace", session_id=current.id))


@bp.route("/sessions/<int:session_id>/work")
@login_required
def workspace(session_id: int) -> str | Response:
    """The lab page: instructions and tasks beside the terminal."""
    session, lab = _own_session(session_id)
    if not session.is_open:
        return redirect(url_for("labs.session_detail", session_id=session.id))
    from app.sandboxes.services import sandbox_for

    sandbox = sandbox_for(session.sandbox_id) if session.sandbox_id else None
    host = services.terminal_host(lab).name
    # A lab of several hosts: the trainee picks which one the terminal opens on.
    hosts = [h.name for h in lab.hosts]
    terminal_on = request.args.get("host", host)
    if terminal_on not in hosts:
        abort(404)
    return render_template(
        "labs/workspace.html",
        personal=lambda html: fill_html(html, session.values, str(session.id), host),
        lab=lab,
        session=session,
        sandbox=sandbox,
        host=terminal_on,
        hosts=hosts,
        status=session_status(session, lab, sandbox),
        form=LabActionForm(),
        answer_form=AnswerForm(),
        update_form=UpdateForm(),
        status_updates=updates.updates_of(session.id),
    )


@bp.route("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int) -> str:
    """The evidence of a session: tasks, every check run with its results, recordings."""
    session, lab = _visible_session(session_id)
    recordings: list[Any] = []
    sandbox = None
    if session.sandbox_id:
        from app.sandboxes.services import recordings_of_sandbox, sandbox_for

        recordings = recordings_of_sandbox(session.sandbox_id)
        sandbox = sandbox_for(session.sandbox_id)
    return render_template(
        "labs/session.html",
        lab=lab,
        session=session,
        sandbox=sandbox,
        host=services.terminal_host(lab).name,
        tasks=task_views(lab, session),
        rows=evidence_rows(session.check_runs),
        status_updates=updates.updates_of(session.id),
        takes_updates=updates.takes_updates(lab),
        recordings=recordings,
        overseer=session.user_id != current_user.id or current_user.has_role(Role.ADMIN),
        **_exam_context(session, lab),
    )


def _exam_context(session: LabSession, lab: Lab) -> dict[str, Any]:
    """What the evidence page of an exam attempt adds: the incident record and its forms."""
    if not lab.is_exam:
        return {"exam_record": None, "record_form": None, "review_form": None}
    record = exam.record_of(session.id)
    own = session.user_id == current_user.id
    record_form = None
    if own and not exam.record_refusal(session, lab):
        record_form = ExamRecordForm(obj=record) if record is not None else ExamRecordForm()
    review_form = None
    if (
        not own
        and record is not None
        and record.status == "submitted"
        and current_user.has_role(Role.COORDINATOR, Role.ADMIN)
    ):
        review_form = ExamReviewForm()
    return {
        "exam_record": record,
        "record_form": record_form,
        "review_form": review_form,
        "record_refusal": exam.record_refusal(session, lab) if own else "",
    }


@bp.route("/sessions/<int:session_id>/record", methods=["POST"])
@login_required
def submit_record(session_id: int) -> Response | tuple[str, int]:
    """Write the incident record of one's own exam attempt (again, until it is approved)."""
    session, lab = _own_session(session_id)
    if not lab.is_exam:
        abort(404)
    form = ExamRecordForm()
    if not form.validate_on_submit():
        flash("Fill in every part of the incident record.", "error")
        return session_detail(session_id), 400
    try:
        exam.submit_record(
            session,
            lab,
            {name: getattr(form, name).data or "" for name in exam.RECORD_FIELDS},
            get_catalog().version,
        )
    except exam.ExamError as refused:
        flash(str(refused), "error")
        return session_detail(session_id), 409
    flash("Your incident record was submitted for review.", "success")
    return redirect(url_for("labs.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/record/review", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def review_record(session_id: int) -> Response | tuple[str, int]:
    """Approve an exam attempt's incident record, or return it with a comment."""
    session, lab = _visible_session(session_id)
    record = exam.record_of(session.id)
    if not lab.is_exam or record is None or session.user_id == current_user.id:
        abort(404)
    form = ExamReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        exam.review_record(record, current_user, bool(form.approve.data), form.comment.data or "")
    except exam.ExamError as refused:
        flash(str(refused), "error")
        return session_detail(session_id), 409
    flash("Record approved." if form.approve.data else "Record returned to the trainee.", "success")
    return redirect(url_for("labs.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/status")
@login_required
def status(session_id: int) -> Response:
    """Return the session's state for the lab page to poll.

    With `wait=1`, a poll made while a check run is pending answers when one ends (or after
    status.RUN_WAIT_SECONDS), so the page shows a result as soon as it is stored.
    """
    session, lab = _visible_session(session_id)
    if request.args.get("wait") == "1" and session.status == SessionStatus.ACTIVE.value:
        wait_for_a_run(session.id)
        db.session.refresh(session)  # as it is after the wait
    from app.sandboxes.services import sandbox_for

    sandbox = sandbox_for(session.sandbox_id) if session.sandbox_id else None
    if session.user_id == current_user.id and session.status == SessionStatus.ACTIVE.value:
        services.page_open(session, sandbox)
    return jsonify(session_status(session, lab, sandbox))


@bp.route("/sessions/<int:session_id>/check", methods=["POST"])
@login_required
def check(session_id: int) -> Response | tuple[Response, int]:
    """Queue a check run (the Check button, or the page's continuous checking)."""
    session, lab = _own_session(session_id)
    data = request.get_json(silent=True) or {}
    task_id = data.get("task") if isinstance(data.get("task"), str) else None
    trigger = Trigger.AUTO if data.get("auto") is True else Trigger.BUTTON
    if trigger == Trigger.AUTO and not lab.continuous:
        return jsonify(session_status(session, lab))
    try:
        if trigger == Trigger.BUTTON:
            services.limit_presses(session, _app().config["ACADEMY"].lab_checks_per_minute)
        elif not services.auto_check_due(session):
            return jsonify({**session_status(session, lab), "run": None})
        run = services.request_check(
            session, lab, user_id=current_user.id, trigger=trigger, task_id=task_id
        )
    except services.TooManyPresses as refused:
        return _too_many(refused)
    except services.LabError as error:
        return jsonify(error=str(error)), 409
    if run is not None:
        _run_after_commit(run.id)
    return jsonify({**session_status(session, lab), "run": run.id if run else None})


@bp.route("/sessions/<int:session_id>/answer", methods=["POST"])
@login_required
def answer(session_id: int) -> Response | tuple[Response, int]:
    """Store a typed answer and check it."""
    session, lab = _own_session(session_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return jsonify(error="Type an answer first."), 400
    check_id = form.check_id.data or ""
    try:
        services.limit_presses(session, _app().config["ACADEMY"].lab_checks_per_minute)
        services.record_answer(session, lab, check_id, form.answer.data or "")
        task_id = next(c.task_id for c in lab.checks if c.id == check_id)
        run = services.request_check(
            session, lab, user_id=current_user.id, trigger=Trigger.BUTTON, task_id=task_id
        )
    except services.TooManyPresses as refused:
        return _too_many(refused)
    except services.LabError as error:
        return jsonify(error=str(error)), 409
    if run is not None:
        _run_after_commit(run.id)
    return jsonify({**session_status(session, lab), "run": run.id if run else None})


def _update_json(session: LabSession) -> list[dict[str, Any]]:
    ready = session.ready_at
    return [
        {
            "status": u.status,
            "text": u.text,
            "posted_at": u.posted_at.isoformat(),
            "time": u.posted_at.strftime("%H:%M:%S UTC"),
            "after_ready": None
            if ready is None
            else int((as_utc(u.posted_at) - as_utc(ready)).total_seconds()),
        }
        for u in updates.updates_of(session.id)
    ]


@bp.route("/sessions/<int:session_id>/updates", methods=["POST"])
@login_required
def post_update(session_id: int) -> Response | tuple[Response, int]:
    """Post a status update of an incident drill (the owner only), stamped by the server."""
    session, lab = _own_session(session_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    form = UpdateForm()
    error = ""
    if not form.validate_on_submit():
        error = "Choose the stage of the incident and write the update (at most 2000 characters)."
        code = 400
    else:
        try:
            updates.post_update(
                session, lab, current_user.id, form.status.data or "", form.text.data or ""
            )
        except updates.UpdateError as refused:
            error, code = str(refused), 409
    if wants_json:
        if error:
            return jsonify(error=error), code
        return jsonify(updates=_update_json(session))
    if error:
        flash(error, "error")
        return redirect(url_for("labs.workspace", session_id=session.id), 303)
    flash("Status update posted.", "success")
    return redirect(url_for("labs.workspace", session_id=session.id, _anchor="status-updates"))


@bp.route("/sessions/<int:session_id>/tasks/<task_id>/reset", methods=["POST"])
@login_required
def reset(session_id: int, task_id: str) -> Response | tuple[Response, int]:
    """Re-run a task's setup part so the trainee can start it over."""
    session, lab = _own_session(session_id)
    try:
        services.request_reset(session, lab, task_id)
    except services.LabError as error:
        return jsonify(error=str(error)), 409
    _wake_after_commit()
    return jsonify(session_status(session, lab))


@bp.route("/sessions/<int:session_id>/extend", methods=["POST"])
@login_required
def extend(session_id: int) -> Response | tuple[Response, int]:
    """Give the session more time."""
    session, lab = _own_session(session_id)
    try:
        services.extend_session(session, lab)
    except (services.LabError, ValueError, LookupError) as error:
        return jsonify(error=str(error)), 409
    return jsonify(session_status(session, lab))


@bp.route("/sessions/<int:session_id>/finish", methods=["POST"])
@login_required
def finish(session_id: int) -> Response:
    """End the session and close its sandbox."""
    session = _own_session(session_id)[0]
    if not LabActionForm().validate_on_submit():
        abort(400)
    services.finish_session(session)
    _wake_after_commit()
    flash("Lab finished. Its sandbox is being closed; your results are kept.", "info")
    return redirect(url_for("labs.session_detail", session_id=session.id))


# The service tabs' pages and proxy add their routes to bp (kept in a module of their own).
from app.labs import tab_views  # noqa: E402,F401
