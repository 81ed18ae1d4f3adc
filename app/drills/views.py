"""Drills pages: the holder's "My drills", starting a quiz drill, recording an activity, and the
coordinators' view of their cohorts' drills with its CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import roles_required
from app.auth.models import Role
from app.clock import utcnow
from app.content import get_catalog
from app.coordination import services as cohorts
from app.drills import services
from app.drills.content import Drill, drill_rules
from app.drills.forms import ActivityForm, StartDrillForm
from app.drills.schedule import label
from app.drills.status import (
    STANDING_WORDS,
    STANDINGS,
    STATE_WORDS,
    Evidence,
    OperatorStatus,
    load_statuses,
)
from app.formatting import spreadsheet_cell

bp = Blueprint("drills", __name__)

KIND_WORDS = {"lab": "lab", "quiz": "quiz", "activity": "attested activity"}


def holds_certificate(user: Any) -> bool:
    """Tell whether the user is a trainee holding any certificate (the navigation shows Drills
    then); `holds_certificate` is loaded with the account (app.drills.models)."""
    return user.role == Role.TRAINEE.value and bool(getattr(user, "holds_certificate", False))


def evidence_url(evidence: Evidence | None, user_id: int, *, overseer: bool) -> str | None:
    """Return the page that shows a piece of evidence (None when there is none to show)."""
    if evidence is None:
        return None
    if evidence.kind == "lab":
        return url_for("labs.session_detail", session_id=evidence.id)
    if evidence.kind == "quiz":
        return url_for("quizzes.review", attempt_id=evidence.id)
    if overseer:
        return url_for(
            "coordination.trainee", user_id=user_id, _anchor=f"attestation-{evidence.id}"
        )
    return None


def _drill(drill_id: str) -> Drill:
    drill = drill_rules(get_catalog()).drill(drill_id)
    if drill is None:
        abort(404)
    return drill


def _mine(
    form: ActivityForm | None = None, status: int = 200, open_drill: str = ""
) -> tuple[str, int]:
    catalog = get_catalog()
    rules = drill_rules(catalog)
    standing = services.standing_for(catalog, current_user.id)
    page = render_template(
        "drills/mine.html",
        status=standing,
        rules=rules,
        words=STATE_WORDS,
        kinds=KIND_WORDS,
        label=label,
        evidence_url=evidence_url,
        start_form=StartDrillForm(),
        form=form or ActivityForm(),
        blank_form=ActivityForm(formdata=None),
        open_drill=open_drill,
        now=utcnow(),
    )
    return page, status


@bp.route("/drills")
@roles_required(Role.TRAINEE)
def mine() -> tuple[str, int]:
    """Show the holder's drills: what is due, done, overdue and missed, with links to do them."""
    return _mine()


@bp.route("/drills/<drill_id>/quiz", methods=["POST"])
@roles_required(Role.TRAINEE)
def start_quiz(drill_id: str) -> BaseResponse:
    """Start (or resume) the quiz of a quiz drill."""
    drill = _drill(drill_id)
    if not StartDrillForm().validate_on_submit():
        abort(400)
    if drill.kind != "quiz":
        abort(404)
    try:
        attempt = services.start_quiz_drill(get_catalog(), current_user.id, drill)
    except services.DrillError as error:
        flash(str(error), "error")
        return redirect(url_for("drills.mine"))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/drills/<drill_id>/activity", methods=["POST"])
@roles_required(Role.TRAINEE)
def record_activity(drill_id: str) -> BaseResponse | tuple[str, int]:
    """Record an attested activity of a drill for a coordinator to approve."""
    drill = _drill(drill_id)
    if drill.kind != "activity":
        abort(404)
    form = ActivityForm()
    if not form.validate_on_submit():
        return _mine(form, 422, drill.id)
    try:
        services.record_activity(
            get_catalog(),
            current_user,
            drill,
            form.occurred_on.data,
            form.counterpart.data or "",
            form.description.data or "",
        )
    except services.DrillError as error:
        flash(str(error), "error")
        return _mine(form, 422, drill.id)
    flash(f"{drill.title} recorded. Your coordinator has been asked to approve it.", "info")
    return redirect(url_for("drills.mine"))


def _scope() -> tuple[list[Any], list[int] | None, Any]:
    """Return the cohorts the viewer sees, the cohort ids to read (None: every holder, for an
    admin viewing all) and the cohort chosen with ?cohort=."""
    visible = cohorts.cohorts_visible_to(current_user)
    chosen = None
    raw = request.args.get("cohort", "")
    if raw:
        if not raw.isdigit():
            abort(404)
        chosen = cohorts.visible_cohort(current_user, int(raw))
        if chosen is None:
            abort(404)
        return visible, [chosen.id], chosen
    if current_user.has_role(Role.ADMIN):
        return visible, None, None
    return visible, [c.id for c in visible], None


def _groups(statuses: list[OperatorStatus]) -> list[tuple[str, list[OperatorStatus]]]:
    groups: dict[str, list[OperatorStatus]] = {}
    for status in statuses:
        groups.setdefault(status.cohort_name or "No cohort", []).append(status)
    return sorted(groups.items(), key=lambda item: (item[0] == "No cohort", item[0].casefold()))


@bp.route("/team/drills")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def team() -> str:
    """Show, per cohort, which holders are current, due, overdue, behind or suspended."""
    rules = drill_rules(get_catalog())
    visible, cohort_ids, chosen = _scope()
    now = utcnow()
    statuses = load_statuses(rules, now, cohort_ids) if cohort_ids != [] else []
    counts = {standing: 0 for standing in STANDINGS}
    for status in statuses:
        counts[status.standing] += 1
    return render_template(
        "drills/team.html",
        rules=rules,
        groups=_groups(statuses),
        counts=counts,
        standing_words=STANDING_WORDS,
        words=STATE_WORDS,
        cohorts=visible,
        chosen=chosen,
        evidence_url=evidence_url,
        label=label,
        now=now,
    )


@bp.route("/team/drills.csv")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def team_csv() -> Response:
    """Download the drills view as CSV, one row per holder."""
    rules = drill_rules(get_catalog())
    _, cohort_ids, chosen = _scope()
    now = utcnow()
    statuses = load_statuses(rules, now, cohort_ids) if cohort_ids != [] else []
    name = f"cohort-{chosen.id}" if chosen is not None else "cohorts"
    return Response(
        drills_csv(statuses, rules.drills),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-drills-{now:%Y%m%d}.csv"'},
    )


def drills_csv(statuses: list[OperatorStatus], drills: tuple[Drill, ...]) -> str:
    """Write holders' drill status as CSV: standing, then each drill's state and last done."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["cohort", "name", "email", "certificate", "standing", "missed"]
    for drill in drills:
        header += [f"{drill.id} state", f"{drill.id} due", f"{drill.id} last done"]
    writer.writerow(header)
    for status in statuses:
        lines = {line.drill.id: line for line in status.lines}
        row: list[str] = [
            spreadsheet_cell(status.cohort_name or ""),
            spreadsheet_cell(status.name),
            spreadsheet_cell(status.email),
            status.certificate.code,
            status.standing,
            str(status.outstanding),
        ]
        for drill in drills:
            line = lines.get(drill.id)
            if line is None:
                row += ["not assigned", "", ""]
                continue
            occurrence = line.previous if line.state == "overdue" else line.now
            row += [
                line.state,
                occurrence.due_on.isoformat() if occurrence is not None else "",
                f"{line.last_done.at:%Y-%m-%d}" if line.last_done is not None else "",
            ]
        writer.writerow(row)
    return out.getvalue()
