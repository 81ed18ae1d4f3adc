"""Pages anyone may open without an account: certificate verification and Open Badges JSON."""

from __future__ import annotations

import importlib.util
from typing import Any

from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import public
from app.auth.models import User
from app.certification import badges, certificates
from app.certification.models import CertificateStatus
from app.certification.rules import rules_of
from app.certification.services import certificates_of
from app.certification.views import bp
from app.content import get_catalog
from app.extensions import db


def _drill_standing(certificate: Any) -> Any:
    """Return the holder's standing on recurring drills (None without the drills feature)."""
    if importlib.util.find_spec("app.drills") is None:
        return None
    from app.drills.services import public_standing

    return public_standing(get_catalog(), certificate)


def _json(body: dict[str, object], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    # Badge verifiers fetch these from other sites.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/verify")
@public
def verify_form() -> BaseResponse | str:
    """Let anyone type a certificate code to check it."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("certification.verify", code=code.upper()))
    return render_template("certification/verify_form.html")


@bp.route("/verify/<code>")
@public
def verify(code: str) -> tuple[str, int]:
    """Show whether a certificate is valid, expired or revoked, with minimal personal data."""
    certificate = certificates.find_by_code(code)
    if certificate is None:
        page = render_template("certification/verify_missing.html", code=code)
        return page, 404
    history = certificates_of(certificate.user_id)
    rules = rules_of(get_catalog())
    page = render_template(
        "certification/verify.html",
        certificate=certificate,
        status=certificate.status(),
        history=history,
        rules=rules,
        statuses=CertificateStatus,
        drills=_drill_standing(certificate),
    )
    return page, 200


@bp.route("/badges/assertions/<code>.json")
@public
def badge_assertion(code: str) -> Response:
    """Serve the Open Badges 2.0 hosted assertion (410 Gone once revoked)."""
    certificate = certificates.find_by_code(code)
    if certificate is None:
        abort(404)
    if certificate.revoked_at is not None:
        return _json(badges.revoked_assertion(certificate), 410)
    holder = db.session.get(User, certificate.user_id)
    if holder is None:
        abort(404)
    return _json(badges.assertion(certificate, holder.email, _drill_standing(certificate)))


@bp.route("/badges/classes/<programme_id>.json")
@public
def badge_class(programme_id: str) -> Response:
    """Serve the Open Badges 2.0 badge class of a programme."""
    catalog = get_catalog()
    if programme_id != catalog.programme.id:
        abort(404)
    return _json(badges.badge_class(rules_of(catalog), programme_id))


@bp.route("/badges/classes/<programme_id>.svg")
@public
def badge_image(programme_id: str) -> Response:
    """Serve the badge image."""
    catalog = get_catalog()
    if programme_id != catalog.programme.id:
        abort(404)
    return Response(badges.badge_svg(rules_of(catalog)), mimetype="image/svg+xml")


@bp.route("/badges/issuer.json")
@public
def badge_issuer() -> Response:
    """Serve the Open Badges 2.0 issuer profile."""
    return _json(badges.issuer_profile(rules_of(get_catalog())))
