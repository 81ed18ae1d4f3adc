"""Taking quizzes: the day quiz and assessment pages, the attempt, the review."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import login_required
from app.clock import as_utc, utcnow
from app.content import Catalog, get_catalog
from app.content.programme import Day
from app.content.questions import Quiz, quiz_section
from app.coordination.services import can_oversee
from app.extensions import db
from app.quizzes import grading, services
from app.quizzes.forms import PaperForm, StartForm, answers_from
from app.quizzes.models import QuizAttempt
from app.quizzes.review import ANSWERS, is_finished, review_level

bp = Blueprint("quizzes", __name__)


def _review_mode(attempt: QuizAttempt, quiz: Quiz | None, own: bool) -> str:
    """Decide what the review shows: full answers only once the trainee is done with the quiz."""
    mode = attempt.paper.get("review", ANSWERS)
    if not own:
        return review_level(mode, finished=True, overseer=True)
    if mode != ANSWERS or attempt.passed or quiz is None:
        # Nothing to withhold, or passed, or the quiz is gone and no attempt can follow.
        return review_level(mode, finished=True)
    standing = services.standing(attempt.user_id, quiz)
    finished = is_finished(
        standing.passed, standing.attempts_left, standing.open_attempt is not None
    )
    return review_level(mode, finished=finished)


def quiz_url(quiz_id: str, day_id: str | None) -> str:
    """Return the page a quiz is taken from."""
    if day_id is None:
        return url_for("quizzes.assessment")
    return url_for("quizzes.day_quiz", day_id=day_id)


@bp.route("/days/<day_id>/quiz")
@login_required
def day_quiz(day_id: str) -> str:
    """Show a day's quiz: its rules, the trainee's attempts, and start, resume or results."""
    catalog = get_catalog()
    day = catalog.day(day_id) or abort(404)
    quiz = quiz_section(catalog).for_day(day_id)
    if quiz is None:
        return render_template("quizzes/no_quiz.html", day=day)
    return _quiz_page(catalog, quiz, day)


@bp.route("/assessment")
@login_required
def assessment() -> str:
    """Show the final knowledge assessment."""
    catalog = get_catalog()
    quiz = quiz_section(catalog).assessment or abort(404)
    return _quiz_page(catalog, quiz, None)


def _quiz_page(catalog: Catalog, quiz: Quiz, day: Day | None) -> str:
    services.close_expired(catalog, user_id=current_user.id, quiz_id=quiz.id)
    standing = services.standing(current_user.id, quiz)
    return render_template(
        "quizzes/quiz.html", quiz=quiz, day=day, standing=standing, form=StartForm()
    )


@bp.route("/quizzes/<quiz_id>/start", methods=["POST"])
@login_required
def start(quiz_id: str) -> Response:
    """Start a new attempt, or resume the one in progress."""
    catalog = get_catalog()
    quiz = quiz_section(catalog).quizzes.get(quiz_id) or abort(404)
    if not StartForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(current_user.id, quiz, catalog)
    except services.AttemptRefused as refused:
        flash(str(refused), "error")
        return redirect(quiz_url(quiz.id, quiz.day_id))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


def _own_attempt(attempt_id: int, *, lock: bool = False) -> QuizAttempt:
    """Return the current user's attempt; anyone else's is as good as missing."""
    attempt = services.lock_attempt(attempt_id) if lock else db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.route("/quizzes/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> str | Response:
    """Show the paper of an attempt in progress."""
    catalog = get_catalog()
    found = _own_attempt(attempt_id)
    if found.is_open:
        services.close_expired(catalog, user_id=current_user.id, quiz_id=found.quiz_id)
        if not found.is_open:
            flash("Time ran out: the answers saved before the deadline were graded.", "error")
    if not found.is_open:
        return redirect(url_for("quizzes.review", attempt_id=found.id))
    seconds_left = None
    if found.deadline is not None:
        seconds_left = max(0, int((as_utc(found.deadline) - utcnow()).total_seconds()))
    return render_template(
        "quizzes/attempt.html",
        attempt=found,
        quiz=quiz_section(catalog).quizzes.get(found.quiz_id),
        items=services.paper_of(found),
        seconds_left=seconds_left,
        back=quiz_url(found.quiz_id, found.day_id),
        form=PaperForm(),
    )


@bp.route("/quizzes/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id: int) -> Response | tuple[Response, int]:
    """Save answers while the attempt is open (called by the page as the trainee works)."""
    if not PaperForm().validate_on_submit():
        abort(400)
    found = _own_attempt(attempt_id, lock=True)
    try:
        kept = services.save_answers(found, answers_from(request.form), get_catalog())
    except services.AttemptClosed as closed:
        return jsonify(error=str(closed)), 409
    except grading.TamperedSubmission as tampered:
        return jsonify(error=str(tampered)), 400
    review = None if kept else url_for("quizzes.review", attempt_id=found.id)
    return jsonify(saved=kept, review=review)


@bp.route("/quizzes/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int) -> Response | tuple[str, int]:
    """Grade the attempt and show the review."""
    if not PaperForm().validate_on_submit():
        abort(400)
    found = _own_attempt(attempt_id, lock=True)
    try:
        services.submit(found, answers_from(request.form), get_catalog())
    except services.AttemptClosed as closed:
        return _refusal(409, "Already submitted", str(closed))
    except grading.TamperedSubmission as tampered:
        return _refusal(400, "Submission refused", f"The submission was refused: {tampered}.")
    if found.expired:
        flash(
            "Time ran out before the answers arrived: the answers saved before the deadline "
            "were graded.",
            "error",
        )
    return redirect(url_for("quizzes.review", attempt_id=found.id))


def _refusal(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors.html", code=code, title=title, message=message), code


@bp.route("/quizzes/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int) -> str | Response:
    """Show a submitted attempt as the quiz's review setting allows (in full to coordinators)."""
    found = db.session.get(QuizAttempt, attempt_id)
    if found is None:
        abort(404)
    own = found.user_id == current_user.id
    if not own and not can_oversee(current_user, found.user_id):
        abort(404)
    if found.is_open and own:
        return redirect(url_for("quizzes.attempt", attempt_id=found.id))
    quiz = quiz_section(get_catalog()).quizzes.get(found.quiz_id)
    return render_template(
        "quizzes/review.html",
        attempt=found,
        quiz=quiz,
        title=quiz.title if quiz else found.quiz_id,
        items=services.paper_of(found) if not found.is_open else [],
        mode=_review_mode(found, quiz, own),
        own=own,
        back=quiz_url(found.quiz_id, found.day_id),
        answer_html=grading.answer_html,
        correct_html=grading.correct_html,
    )
