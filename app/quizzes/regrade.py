"""Regrading a quiz's submitted attempts against the questions as they are written now."""

from __future__ import annotations

import difflib
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

# How similar (difflib ratio of the case- and space-folded texts) an edited option or prompt
# must stay for old answers to be regraded against it; below, the question was rewritten.
OPTION_SIMILARITY = 0.8
PROMPT_SIMILARITY = 0.6


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
    # Questions whose current version cannot fairly grade old answers, with the reason, and
    # how many attempts keep their old points for each.
    skipped: dict[str, str] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def keep(self, question_id: str, reason: str) -> None:
        """Record that an attempt keeps its old points for a question, and why."""
        self.skipped.setdefault(question_id, reason)
        self.kept[question_id] = self.kept.get(question_id, 0) + 1

    @property
    def score_changes(self) -> list[AttemptChange]:
        """Return the changes that move a score."""
        return [c for c in self.changes if c.score_changed]


def plan_regrade(quiz: Quiz, trainee_ids: set[int] | None) -> RegradePlan:
    """Work out what regrading the quiz's submitted attempts would change.

    Each answer is graded again with the current definition of its question when that
    definition differs from the one it was graded with. A question whose type or option ids
    changed, or whose options or prompt were rewritten rather than corrected, keeps its old
    points: the trainee never saw the new question (see `_incompatible`).
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
        change = _regrade_attempt(attempt, quiz, versions, plan)
        if change is not None:
            plan.changes.append(change)
    return plan


def _regrade_attempt(
    attempt: QuizAttempt, quiz: Quiz, versions: dict[str, Question], plan: RegradePlan
) -> AttemptChange | None:
    results = dict(attempt.results or {})
    moved = []
    for entry in attempt.paper["questions"]:
        question_id = entry["id"]
        old = results.get(question_id) or {"points": 0.0, "version": entry["version"]}
        current = quiz.question(question_id)
        if current is None:
            plan.keep(question_id, "no longer in the quiz")
            continue
        if current.version == old["version"]:
            continue
        reason = _incompatible(versions[entry["version"]], current, entry["options"])
        if reason:
            plan.keep(question_id, reason)
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
    return AttemptChange(
        attempt=attempt,
        results=results,
        old_score=attempt.score or 0.0,
        new_score=grading.score_percent([total], count),
        old_passed=bool(attempt.passed),
        new_passed=grading.reaches(total, count, attempt.pass_mark),
        questions=moved,
    )


def _incompatible(seen: Question, current: Question, shown: list[str]) -> str | None:
    """Say why old answers cannot be graded against the current version, if they cannot.

    Answers name option ids, so the ids shown must still exist and mean what they meant: an
    option whose text was rewritten, or a prompt asking something else, would turn the old
    answer into an answer to a question nobody saw.
    """
    if seen.type != current.type:
        return f"its type changed from {seen.type} to {current.type}"
    gone = [o for o in shown if current.option(o) is None]
    added = [o for o in current.option_ids if o not in shown]
    if gone or added:
        detail = "; ".join(
            part
            for part in (
                f"removed {', '.join(gone)}" if gone else "",
                f"added {', '.join(added)}" if added else "",
            )
            if part
        )
        return f"its options changed ({detail}), so old answers cannot be graded fairly"
    for option_id in shown:
        before, after = seen.option(option_id), current.option(option_id)
        if before and after and not _similar(before.text, after.text, OPTION_SIMILARITY):
            return (
                f"option {option_id} was rewritten ({before.text.strip()!r} became "
                f"{after.text.strip()!r}), so an old answer would mean something else"
            )
    if not _similar(seen.prompt, current.prompt, PROMPT_SIMILARITY):
        return "its prompt was rewritten, so old answers answered another question"
    return None


def _similar(old: str, new: str, threshold: float) -> bool:
    """Tell whether an edit kept a text's meaning (a typo fix, not a rewrite)."""
    a, b = (" ".join(t.split()).casefold() for t in (old, new))
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= threshold


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
