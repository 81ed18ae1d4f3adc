"""Coordinators' quiz pages: item statistics, regrades and extra attempts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import roles_required
from app.auth.models import Role, User
from app.content import get_catalog
from app.content.questions import Quiz, QuizSection, quiz_section
from app.coordination.services import can_oversee
from app.extensions import db
from app.quizzes import services
from app.quizzes.forms import ExtraAttemptForm, RegradeForm
from app.quizzes.regrade import apply_regrade, plan_regrade, regrade_history
from app.quizzes.statistics import attempt_counts, quiz_statistics, visible_trainee_ids
from app.quizzes.views import bp


def ordered_quizzes(section: QuizSection, day_order: list[str]) -> list[Quiz]:
    """Return the day quizzes in programme order, then the final assessment."""
    quizzes = [q for day_id in day_order if (q := section.for_day(day_id)) is not None]
    if section.assessment is not None:
        quizzes.append(section.assessment)
    return quizzes


@bp.route("/quizzes/statistics")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def statistics() -> str:
    """Show per-question statistics and the score distribution of a quiz."""
    catalog = get_catalog()
    section = quiz_section(catalog)
    quizzes = ordered_quizzes(section, [d.id for d in catalog.days])
    chosen = request.args.get("quiz")
    if chosen is not None and chosen not in section.quizzes:
        abort(404)
    trainee_ids = visible_trainee_ids(current_user)
    counts = attempt_counts(section, trainee_ids)
    quiz = section.quizzes[chosen] if chosen else (quizzes[0] if quizzes else None)
    return render_template(
        "quizzes/statistics.html",
        quizzes=quizzes,
        counts=counts,
        quiz=quiz,
        stats=quiz_statistics(quiz, trainee_ids) if quiz else None,
        grant_form=ExtraAttemptForm(),
    )


@bp.route("/quizzes/<quiz_id>/regrade", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def regrade(quiz_id: str) -> str | Response:
    """Preview a regrade against the current questions, and apply it."""
    catalog = get_catalog()
    quiz = quiz_section(catalog).quizzes.get(quiz_id) or abort(404)
    plan = plan_regrade(quiz, visible_trainee_ids(current_user))
    form = RegradeForm()
    if form.validate_on_submit():
        done = apply_regrade(plan, catalog, current_user.id, form.reason.data or "")
        flash(
            f"Regraded {done.attempts_checked} attempt(s): {done.attempts_changed} changed score.",
            "info",
        )
        return redirect(url_for("quizzes.regrade", quiz_id=quiz.id))
    return render_template(
        "quizzes/regrade.html", quiz=quiz, plan=plan, form=form, history=regrade_history(quiz.id)
    )


@bp.route("/quizzes/<quiz_id>/trainees/<int:user_id>/extra-attempt", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def extra_attempt(quiz_id: str, user_id: int) -> Response:
    """Give a trainee who used every attempt one more."""
    quiz = quiz_section(get_catalog()).quizzes.get(quiz_id) or abort(404)
    trainee = db.session.get(User, user_id)
    if trainee is None or not can_oversee(current_user, user_id):
        abort(404)
    form = ExtraAttemptForm()
    if not form.validate_on_submit():
        abort(400)
    services.grant_extra_attempt(user_id, quiz.id, current_user.id, form.reason.data or "")
    flash(f"{trainee.full_name} may take {quiz.title} once more.", "info")
    if form.back.data == "trainee":
        return redirect(url_for("coordination.trainee", user_id=user_id) + "#quiz-lockouts")
    return redirect(url_for("quizzes.statistics", quiz=quiz.id))
