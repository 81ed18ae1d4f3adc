"""Coordinators' pages: their cohorts, the progress matrix, a trainee's evidence, approvals,
cohort management and bulk onboarding."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import roles_required
from app.auth.models import Role, User
from app.auth.services import find_user
from app.certification import audit
from app.certification.audit import events_for_trainee
from app.certification.forms import DecisionForm, SignoffForm
from app.certification.rules import rules_of
from app.certification.services import pending_for
from app.certification.sources import record_of
from app.clock import utcnow
from app.config import Settings
from app.content import get_catalog
from app.coordination import services
from app.coordination.chart import progress_chart
from app.coordination.forms import CohortForm, CoordinatorForm, MemberForm, RosterForm
from app.coordination.matrix import build_matrix, matrix_csv
from app.coordination.models import Cohort, CohortMember
from app.coordination.onboarding import RosterError, import_roster
from app.coordination.pacing import expected_day
from app.coordination.progress import installed
from app.extensions import db
from app.notifications import notify

bp = Blueprint("coordination", __name__, url_prefix="/team")


def _cohort(cohort_id: int) -> Cohort:
    cohort = services.visible_cohort(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


@bp.route("")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def dashboard() -> str:
    """Show the coordinator's cohorts and what waits for them."""
    cohorts = services.cohorts_visible_to(current_user)
    counts = dict(
        db.session.execute(
            select(CohortMember.cohort_id, func.count(CohortMember.id)).group_by(
                CohortMember.cohort_id
            )
        ).all()
    )
    today = utcnow().date()
    total_days = len(get_catalog().days)
    return render_template(
        "coordination/dashboard.html",
        cohorts=cohorts,
        counts=counts,
        expected={c.id: expected_day(c.start_date, today, total_days) for c in cohorts},
        pending=len(pending_for(current_user)),
    )


@bp.route("/cohorts/<int:cohort_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def cohort(cohort_id: int) -> str:
    """Show a cohort's progress matrix with pacing flags."""
    found = _cohort(cohort_id)
    is_admin = current_user.has_role(Role.ADMIN)
    coordinator_form = CoordinatorForm()
    if is_admin:
        taken = {link.user_id for link in found.coordinators}
        coordinator_form.user_id.choices = [
            (u.id, u.full_name) for u in _coordinators() if u.id not in taken
        ]
    catalog = get_catalog()
    now = utcnow()
    matrix = build_matrix(found, catalog, now)
    return render_template(
        "coordination/cohort.html",
        matrix=matrix,
        chart=progress_chart(matrix, catalog, now.date()),
        coordinator_form=coordinator_form,
        member_form=MemberForm(),
        is_admin=is_admin,
    )


@bp.route("/cohorts/<int:cohort_id>/matrix.csv")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def cohort_csv(cohort_id: int) -> Response:
    """Download the cohort's progress matrix as CSV."""
    found = _cohort(cohort_id)
    body = matrix_csv(build_matrix(found, get_catalog()))
    filename = f"cohort-{found.id}-progress-{utcnow():%Y%m%d}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/trainees/<int:user_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def trainee(user_id: int) -> str:
    """Show everything a trainee has done, with approvals and the final sign-off."""
    person = db.session.get(User, user_id)
    if (
        person is None
        or not person.has_role(Role.TRAINEE)
        or not services.can_oversee(current_user, user_id)
    ):
        abort(404)
    catalog = get_catalog()
    return render_template(
        "coordination/trainee.html",
        **_quiz_lockouts(person.id),
        record=record_of(person, catalog),
        rules=rules_of(catalog),
        catalog=catalog,
        cohort=services.cohort_of(person.id),
        events=events_for_trainee(person.id),
        decision_form=DecisionForm(),
        signoff_form=SignoffForm(),
    )


def _quiz_lockouts(user_id: int) -> dict[str, object]:
    """Return the quizzes the trainee is locked out of and the form that grants one more."""
    if not installed("quizzes"):
        return {"lockouts": [], "grant_form": None}
    from app.quizzes.forms import ExtraAttemptForm
    from app.quizzes.lockout import lockouts_for

    form = ExtraAttemptForm(back="trainee")
    return {"lockouts": lockouts_for(user_id, get_catalog()), "grant_form": form}


@bp.route("/approvals")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def approvals() -> str:
    """List the attestations and exam incident records waiting for this coordinator."""
    from app.certification.sources import feature_services

    records = []
    if feature_services("labs") is not None:
        from app.labs.exam import records_waiting_for

        records = records_waiting_for(current_user)
    return render_template(
        "coordination/approvals.html",
        pending=pending_for(current_user),
        records=records,
        form=DecisionForm(),
    )


def _coordinators() -> list[User]:
    query = select(User).where(User.role == Role.COORDINATOR.value, User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.full_name)))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_cohort() -> str | BaseResponse:
    """Create a cohort with its start date and coordinators."""
    form = CohortForm()
    form.coordinator_ids.choices = [(u.id, f"{u.full_name} <{u.email}>") for u in _coordinators()]
    if form.validate_on_submit():
        try:
            made = services.create_cohort(
                form.name.data or "", form.start_date.data, list(form.coordinator_ids.data or [])
            )
        except services.CohortError as error:
            flash(str(error), "error")
        else:
            audit.record(current_user, "cohort.created", "cohort", made.id, None, name=made.name)
            flash(f"Cohort {made.name} created.", "info")
            return redirect(url_for("coordination.cohort", cohort_id=made.id))
    return render_template("coordination/cohort_form.html", form=form)


@bp.route("/cohorts/<int:cohort_id>/coordinators", methods=["POST"])
@roles_required(Role.ADMIN)
def add_coordinator(cohort_id: int) -> BaseResponse:
    """Make a coordinator responsible for a cohort."""
    found = _cohort(cohort_id)
    form = CoordinatorForm()
    form.user_id.choices = [(u.id, u.full_name) for u in _coordinators()]
    if not form.validate_on_submit():
        flash("Choose a coordinator.", "error")
        return redirect(url_for("coordination.cohort", cohort_id=found.id))
    try:
        services.add_coordinator(found.id, form.user_id.data)
    except services.CohortError as error:
        flash(str(error), "error")
    else:
        flash("Coordinator added.", "info")
    return redirect(url_for("coordination.cohort", cohort_id=found.id))


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@roles_required(Role.ADMIN)
def add_member(cohort_id: int) -> BaseResponse:
    """Put an existing trainee into a cohort."""
    found = _cohort(cohort_id)
    form = MemberForm()
    person = find_user(form.email.data or "") if form.validate_on_submit() else None
    if person is None or not person.has_role(Role.TRAINEE):
        flash("No trainee account has that e-mail address.", "error")
    else:
        services.add_member(found.id, person.id)
        flash(f"{person.full_name} is now in {found.name}.", "info")
    return redirect(url_for("coordination.cohort", cohort_id=found.id))


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def import_members(cohort_id: int) -> tuple[str, int]:
    """Invite a whole roster to a cohort from a CSV upload, all rows or none."""
    found = _cohort(cohort_id)
    form = RosterForm()
    settings: Settings = current_app.config["ACADEMY"]
    links: list[tuple[str, str]] = []
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            made = import_roster(
                found, form.roster.data.read(), current_user, settings.invitation_days
            )
        except RosterError as error:
            problems = error.problems
        else:
            for invitation, token in made:
                link = settings.base_url + url_for("auth.accept_invitation", token=token)
                links.append((invitation.email, link))
                notify(
                    invitation.email,
                    "Your Ops Academy invitation",
                    f"{current_user.full_name} invited you to the cohort {found.name} "
                    "on Ops Academy. "
                    f"Set your password here: {link}\n"
                    f"The link expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
                )
            flash(f"{len(made)} invitation(s) created and sent.", "info")
    status = 422 if problems or form.errors else 200
    page = render_template(
        "coordination/import.html", cohort=found, form=form, links=links, problems=problems
    )
    return page, status
