"""Trainees locked out of a quiz: every attempt used, none passed, waiting for a coordinator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select

from app.content import Catalog
from app.content.questions import Quiz, quiz_section
from app.extensions import db
from app.quizzes.models import ExtraAttempt, QuizAttempt


@dataclass(frozen=True)
class Lockout:
    """A quiz a trainee can no longer attempt without a coordinator's extra attempt."""

    quiz: Quiz
    used: int
    allowed: int


def locked_out(max_attempts: int, extra: int, used: int, submitted: int, passed: bool) -> bool:
    """Tell whether a trainee has used every allowed attempt, closed them all, and not passed."""
    if not max_attempts or passed:
        return False
    return used >= max_attempts + extra and submitted >= used


def attempt_totals_query(user_ids: Select[Any] | list[int]) -> Select[Any]:
    """Return a query of (user, quiz, kind, attempts, submitted, passed, extra, last activity).

    `user_ids` is a list or a subquery of user ids; one row per trainee and quiz attempted.
    """
    extra = (
        select(func.count(ExtraAttempt.id))
        .where(
            ExtraAttempt.user_id == QuizAttempt.user_id,
            ExtraAttempt.quiz_id == QuizAttempt.quiz_id,
        )
        .correlate(QuizAttempt)
        .scalar_subquery()
    )
    return (
        select(
            QuizAttempt.user_id,
            QuizAttempt.quiz_id,
            QuizAttempt.kind,
            func.count(QuizAttempt.id),
            func.count(QuizAttempt.submitted_at),
            func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            extra,
            func.max(func.coalesce(QuizAttempt.submitted_at, QuizAttempt.started_at)),
        )
        .where(QuizAttempt.user_id.in_(user_ids))
        .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id, QuizAttempt.kind)
    )


def lockouts_for(user_id: int, catalog: Catalog) -> list[Lockout]:
    """Return the quizzes the trainee is locked out of, in the catalog's order."""
    section = quiz_section(catalog)
    found = []
    for _, quiz_id, _, used, submitted, passed, extra, _ in db.session.execute(
        attempt_totals_query([user_id])
    ):
        quiz = section.quizzes.get(quiz_id)
        if quiz and locked_out(quiz.max_attempts, extra or 0, used, submitted, bool(passed)):
            found.append(Lockout(quiz, used, quiz.max_attempts + (extra or 0)))
    order = list(section.quizzes)
    return sorted(found, key=lambda lockout: order.index(lockout.quiz.id))
