"""Quizzes and the final assessment: attempts, server-side grading, regrades, item statistics."""

from __future__ import annotations

from flask import Flask, g, has_request_context

from app.content import Catalog
from app.content.programme import Day
from app.content.questions import quiz_section


def init_app(app: Flask) -> None:
    """Register the quiz pages and count each day's quiz toward day completion."""
    from app.learning.services import DAY_REQUIREMENTS
    from app.quizzes import coordinator_views  # noqa: F401 - adds the coordinators' routes to bp
    from app.quizzes.views import bp

    if day_requirement not in DAY_REQUIREMENTS:
        DAY_REQUIREMENTS.append(day_requirement)
    app.register_blueprint(bp)


def day_requirement(user_id: int, day: Day, catalog: Catalog) -> tuple[int, int]:
    """Count a day's quiz toward day completion: (1 when passed, 1), or (0, 0) without a quiz."""
    quiz = quiz_section(catalog).for_day(day.id)
    if quiz is None:
        return 0, 0
    return (1 if quiz.id in _passed(user_id) else 0), 1


def _passed(user_id: int) -> set[str]:
    """Answer every day of a page from one query (the plan asks once per day)."""
    from app.quizzes.services import passed_quiz_ids

    if not has_request_context():
        return passed_quiz_ids(user_id)
    # Keyed by the request id too: tests may share one `g` across several requests.
    key = (g.get("request_id"), user_id)
    cache: dict[tuple[object, int], set[str]] = g.setdefault("quizzes_passed", {})
    if key not in cache:
        cache[key] = passed_quiz_ids(user_id)
    return cache[key]
