"""The trainee's sign-off pages, coordinators' decisions and sign-off, and certificates."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import login_required, roles_required
from app.auth.models import Role
from app.certification import certificates, services
from app.certification.forms import (
    AcknowledgmentForm,
    AttestationForm,
    DecisionForm,
    RevokeForm,
    SignoffForm,
)
from app.certification.links import absolute_url
from app.certification.models import AttestationKind, Certificate
from app.certification.rules import rules_of
from app.certification.sources import record_of
from app.content import get_catalog
from app.coordination.services import can_oversee
from app.extensions import db

bp = Blueprint("certification", __name__)


def _back(default: str) -> str:
    """Return the same-site page a form asked to go back to, or default."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _checklist_page(form: AttestationForm, status: int = 200) -> tuple[str, int]:
    catalog = get_catalog()
    record = record_of(current_user, catalog)
    page = render_template(
        "certification/checklist.html",
        record=record,
        rules=rules_of(catalog),
        catalog=catalog,
        form=form,
    )
    return page, status


@bp.route("/signoff")
@roles_required(Role.TRAINEE)
def checklist() -> tuple[str, int]:
    """Show the trainee's sign-off checklist with the evidence behind each item."""
    return _checklist_page(AttestationForm())


@bp.route("/signoff/attestations", methods=["POST"])
@roles_required(Role.TRAINEE)
def record_attestation() -> BaseResponse | tuple[str, int]:
    """Record a shadow shift or an incident response for approval."""
    form = AttestationForm()
    if not form.validate_on_submit():
        return _checklist_page(form, 422)
    try:
        services.record_attestation(
            current_user,
            AttestationKind(form.kind.data),
            form.occurred_on.data,
            form.counterpart.data or "",
            form.description.data or "",
        )
    except services.SignoffError as error:
        flash(str(error), "error")
        return _checklist_page(form, 422)
    flash("Recorded. Your coordinator has been asked to approve it.", "info")
    return redirect(url_for("certification.checklist") + "#attested-work")


@bp.route("/signoff/acknowledgment", methods=["GET", "POST"])
@roles_required(Role.TRAINEE)
def acknowledgment() -> BaseResponse | tuple[str, int]:
    """Show the acknowledgment and let the trainee sign it with their typed name."""
    catalog = get_catalog()
    rules = rules_of(catalog)
    if rules.acknowledgment is None:
        abort(404)
    record = record_of(current_user, catalog)
    form = AcknowledgmentForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.sign_acknowledgment(
                current_user,
                rules,
                form.typed_name.data or "",
                request.remote_addr or "unknown",
                record.checklist.since,
            )
        except services.SignoffError as error:
            flash(str(error), "error")
            status = 422
        else:
            flash(
                f"You signed version {rules.acknowledgment.version} of the acknowledgment.", "info"
            )
            return redirect(url_for("certification.checklist"))
    elif request.method == "POST":
        status = 422
    signed = record.checklist.status("acknowledgment")
    page = render_template(
        "certification/acknowledgment.html",
        ack=rules.acknowledgment,
        form=form,
        record=record,
        signed=signed,
    )
    return page, status


@bp.route("/attestations/<int:attestation_id>/decision", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def decide(attestation_id: int) -> BaseResponse:
    """Approve or reject an attestation."""
    form = DecisionForm()
    back = _back(url_for("coordination.approvals"))
    if not form.validate_on_submit():
        flash("Choose approve or reject.", "error")
        return redirect(back)
    try:
        attestation = services.decide_attestation(
            attestation_id, current_user, form.decision.data == "approve", form.comment.data or ""
        )
    except LookupError:
        abort(404)
    except services.SignoffError as error:
        flash(str(error), "error")
        return redirect(back)
    flash(f"{attestation.kind_label} of {attestation.user.full_name} {attestation.status}.", "info")
    return redirect(back)


@bp.route("/trainees/<int:user_id>/certificate", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def certify(user_id: int) -> BaseResponse:
    """Give the final sign-off and issue the trainee's certificate."""
    if not SignoffForm().validate_on_submit():
        abort(400)
    if not can_oversee(current_user, user_id):
        abort(404)
    try:
        certificate = certificates.issue_certificate(user_id, current_user, get_catalog())
    except LookupError:
        abort(404)
    except services.SignoffError as error:
        flash(str(error), "error")
    else:
        flash(f"Certificate {certificate.code} issued to {certificate.recipient_name}.", "info")
    return redirect(url_for("coordination.trainee", user_id=user_id))


@bp.route("/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str) -> Response:
    """Download a certificate as PDF (its holder, their coordinators and admins)."""
    certificate = certificates.find_by_code(code)
    if certificate is None or not (
        certificate.user_id == current_user.id or can_oversee(current_user, certificate.user_id)
    ):
        abort(404)
    # reportlab is heavy: load it when a PDF is asked for, not with every worker.
    from app.certification.pdf import render_certificate

    verify = absolute_url("certification.verify", code=certificate.code)
    data = render_certificate(certificate, rules_of(get_catalog()), verify)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{certificate.code}.pdf"'},
    )


@bp.route("/admin/certificates")
@roles_required(Role.ADMIN)
def admin_certificates() -> str:
    """List every certificate, newest first, with a revoke form for each."""
    rows = db.session.scalars(
        select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    return render_template("certification/admin.html", certificates=rows, form=RevokeForm())


@bp.route("/admin/certificates/<int:certificate_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke(certificate_id: int) -> BaseResponse:
    """Revoke a certificate with a reason."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Give the reason for revoking (at least 5 characters).", "error")
        return redirect(url_for("certification.admin_certificates"))
    try:
        certificate = certificates.revoke_certificate(
            certificate_id, current_user, form.reason.data or ""
        )
    except LookupError:
        abort(404)
    except services.SignoffError as error:
        flash(str(error), "error")
    else:
        flash(f"Certificate {certificate.code} revoked.", "info")
    return redirect(url_for("certification.admin_certificates"))


from app.certification import public_views  # noqa: E402,F401  (public routes on this blueprint)
