"""Regrading a quiz's submitted attempts against the questions as they are written now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.content import Catalog
from app.content.questions import Question, Quiz
from app.extensions import db
from app.quizzes import grading
from app.quizzes.models import AttemptRegrade, QuizAttempt, QuizRegrade
from app.quizzes.services import apply_results, record_versions, versions_of


@dataclass
class AttemptChange:
    """What a regrade does to one attempt."""

    attempt: QuizAttempt
    results: dict[str, Any]
    old_score: float
    new_score: float
    old_passed: bool
    new_passed: bool
    questions: list[dict[str, Any]]

    @property
    def score_changed(self) -> bool:
        """Tell whether any question's points changed."""
        return bool(self.questions)


@dataclass
class RegradePlan:
    """The effect of a regrade, computed without changing anything."""

    quiz: Quiz
    checked: int = 0
    changes: list[AttemptChange] = field(default_factory=list)
    # Questions whose current version cannot fairly grade old answers, with the reason.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def score_changes(self) -> list[AttemptChange]:
        """Return the changes that move a score."""
        return [c for c in self.changes if c.score_changed]


def plan_regrade(quiz: Quiz, trainee_ids: set[int] | None) -> RegradePlan:
    """Work out what regrading the quiz's submitted attempts would change.

    Each answer is graded again with the current definition of its question when that
    definition differs from the one it was graded with. A question whose type or options
    changed keeps its old points: the trainee never saw the new options.
    """
    query = select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.submitted_at.is_not(None)
    )
    if trainee_ids is not None:
        query = query.where(QuizAttempt.user_id.in_(trainee_ids))
    attempts = list(
        db.session.scalars(query.options(selectinload(QuizAttempt.user)).order_by(QuizAttempt.id))
    )
    plan = RegradePlan(quiz, checked=len(attempts))
    versions = versions_of(attempts)
    for attempt in attempts:
        change = _regrade_attempt(attempt, quiz, versions, plan.skipped)
        if change is not None:
            plan.changes.append(change)
    return plan


def _regrade_attempt(
    attempt: QuizAttempt, quiz: Quiz, versions: dict[str, Question], skipped: dict[str, str]
) -> AttemptChange | None:
    results = dict(attempt.results or {})
    moved = []
    for entry in attempt.paper["questions"]:
        question_id = entry["id"]
        old = results.get(question_id) or {"points": 0.0, "version": entry["version"]}
        current = quiz.question(question_id)
        if current is None:
            skipped.setdefault(question_id, "no longer in the quiz")
            continue
        if current.version == old["version"]:
            continue
        reason = _incompatible(versions[entry["version"]], current, entry["options"])
        if reason:
            skipped.setdefault(question_id, reason)
            continue
        points = grading.grade(current, (attempt.answers or {}).get(question_id))
        results[question_id] = {"points": points, "version": current.version}
        if points != old["points"]:
            moved.append(
                {"id": question_id, "old": old["points"], "new": points, "version": current.version}
            )
    if results == (attempt.results or {}):
        return None
    count = len(attempt.paper["questions"])
    total = sum(r["points"] for r in results.values())
    exact = 100 * total / count if count else 0.0
    return AttemptChange(
        attempt=attempt,
        results=results,
        old_score=attempt.score or 0.0,
        new_score=grading.score_percent([total], count),
        old_passed=bool(attempt.passed),
        new_passed=exact >= attempt.pass_mark - grading.FLOAT_SLACK,
        questions=moved,
    )


def _incompatible(seen: Question, current: Question, shown: list[str]) -> str | None:
    if seen.type != current.type:
        return f"its type changed from {seen.type} to {current.type}"
    if set(current.option_ids) != set(shown):
        return "its options changed, so old answers cannot be graded fairly"
    return None


def apply_regrade(
    plan: RegradePlan, catalog: Catalog, by_user_id: int | None, reason: str
) -> QuizRegrade:
    """Write a planned regrade: new results on each attempt and a history entry."""
    record_versions(plan.quiz.id, list(plan.quiz.questions))
    regrade = QuizRegrade(
        quiz_id=plan.quiz.id,
        by_user_id=by_user_id,
        reason=reason.strip(),
        content_version=catalog.version,
        attempts_checked=plan.checked,
        attempts_changed=len(plan.score_changes),
    )
    db.session.add(regrade)
    for change in plan.changes:
        apply_results(change.attempt, change.results, catalog)
        if change.score_changed:
            regrade.changes.append(
                AttemptRegrade(
                    attempt_id=change.attempt.id,
                    old_score=change.old_score,
                    new_score=change.new_score,
                    old_passed=change.old_passed,
                    new_passed=change.new_passed,
                    questions=change.questions,
                )
            )
    db.session.flush()
    return regrade


def regrade_history(quiz_id: str) -> list[QuizRegrade]:
    """Return the quiz's regrades, newest first."""
    query = (
        select(QuizRegrade)
        .where(QuizRegrade.quiz_id == quiz_id)
        .order_by(QuizRegrade.at.desc(), QuizRegrade.id.desc())
    )
    return list(db.session.scalars(query))
