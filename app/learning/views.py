"""The trainee's ten-day plan, day pages and lesson pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import login_required, public
from app.auth.models import Role
from app.content import get_catalog
from app.learning import services
from app.learning.forms import CompleteLessonForm

bp = Blueprint("learning", __name__)


@bp.route("/")
@public
def home() -> Response:
    """Send each person to the page they work from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role(Role.COORDINATOR, Role.ADMIN):
        from flask import current_app

        if "coordination.dashboard" in current_app.view_functions:
            return redirect(url_for("coordination.dashboard"))
    return redirect(url_for("learning.plan"))


@bp.route("/plan")
@login_required
def plan() -> str:
    """Show the ten days with the trainee's progress on each."""
    catalog = get_catalog()
    statuses = services.day_statuses(current_user.id, catalog)
    return render_template(
        "learning/plan.html",
        programme=catalog.programme,
        statuses=statuses,
        current=services.current_day(statuses),
    )


@bp.route("/days/<day_id>")
@login_required
def day(day_id: str) -> str:
    """Show a day: its topics, objectives, lessons, practice and labs."""
    catalog = get_catalog()
    found = catalog.day(day_id) or abort(404)
    rows = services.progress_rows(current_user.id)
    status = next(s for s in services.day_statuses(current_user.id, catalog) if s.day.id == day_id)
    labs = catalog.sections.get("labs", {})
    return render_template(
        "learning/day.html",
        day=found,
        rows=rows,
        status=status,
        labs=[(slug, labs.get(slug)) for slug in found.lab_slugs],
        passed_labs=services.passed_labs(current_user.id) or frozenset(),
    )


@bp.route("/lessons/<lesson_id>")
@login_required
def lesson(lesson_id: str) -> str:
    """Show a lesson with previous/next links and a complete button."""
    catalog = get_catalog()
    found = catalog.lessons.get(lesson_id) or abort(404)
    row = services.record_open(current_user.id, catalog, lesson_id)
    before, after = catalog.lesson_neighbours(lesson_id)
    return render_template(
        "learning/lesson.html",
        lesson=found,
        day=catalog.day(found.day_id),
        row=row,
        before=before,
        after=after,
        form=CompleteLessonForm(),
    )


@bp.route("/lessons/<lesson_id>/complete", methods=["POST"])
@login_required
def complete(lesson_id: str) -> Response:
    """Mark the lesson complete and move on."""
    catalog = get_catalog()
    if lesson_id not in catalog.lessons:
        abort(404)
    if not CompleteLessonForm().validate_on_submit():
        abort(400)
    services.mark_complete(current_user.id, catalog, lesson_id)
    flash(f"“{catalog.lessons[lesson_id].title}” is marked complete.", "info")
    _, after = catalog.lesson_neighbours(lesson_id)
    if after is not None and after.day_id == catalog.lessons[lesson_id].day_id:
        return redirect(url_for("learning.lesson", lesson_id=after.id))
    return redirect(url_for("learning.day", day_id=catalog.lessons[lesson_id].day_id))


@bp.route("/lessons/<lesson_id>/time", methods=["POST"])
@login_required
def heartbeat(lesson_id: str) -> Response:
    """Add reading time reported by the open lesson page."""
    catalog = get_catalog()
    if lesson_id not in catalog.lessons:
        abort(404)
    seconds = request.get_json(silent=True) or {}
    value = seconds.get("seconds") if isinstance(seconds, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        abort(400)
    total = services.add_time(current_user.id, catalog, lesson_id, value)
    return jsonify(seconds_spent=total)
