"""Item statistics for coordinators: per question and per quiz, over the trainees they oversee."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.content.questions import Question, Quiz, QuizSection
from app.coordination.models import CohortMember
from app.coordination.services import cohorts_visible_to
from app.extensions import db
from app.quizzes import grading
from app.quizzes.models import ExtraAttempt, QuizAttempt
from app.quizzes.services import versions_of

BINS = 10


@dataclass
class QuestionStats:
    """How trainees did on one question."""

    question: Question
    attempts: int = 0
    correct: int = 0
    points: float = 0.0
    wrong_answers: Counter[str] = field(default_factory=Counter)

    @property
    def percent_correct(self) -> float | None:
        """Return the share of fully correct answers."""
        return round(100 * self.correct / self.attempts, 1) if self.attempts else None

    @property
    def most_chosen_wrong(self) -> tuple[str, int] | None:
        """Return the wrong option (or wrong answer) chosen most often, with its count."""
        common = self.wrong_answers.most_common(1)
        return common[0] if common else None


@dataclass
class TraineeRow:
    """One trainee's record on a quiz."""

    user: User
    attempts: int
    best_score: float | None
    passed: bool
    allowed: int | None


@dataclass
class QuizStats:
    """How trainees did on one quiz."""

    quiz: Quiz
    scores: list[float]
    questions: list[QuestionStats]
    trainees: list[TraineeRow]

    @property
    def attempts(self) -> int:
        """Return the number of submitted attempts."""
        return len(self.scores)

    @property
    def pass_rate(self) -> float | None:
        """Return the share of attempts that reached the pass mark."""
        if not self.scores:
            return None
        return round(
            100 * sum(1 for s in self.scores if s >= self.quiz.pass_mark) / len(self.scores), 1
        )

    @property
    def mean_score(self) -> float | None:
        """Return the mean score."""
        return round(sum(self.scores) / len(self.scores), 1) if self.scores else None

    @property
    def bins(self) -> list[int]:
        """Return how many scores fall in each tenth of the scale (100 counts in the last)."""
        counts = [0] * BINS
        for score in self.scores:
            counts[min(int(score // (100 / BINS)), BINS - 1)] += 1
        return counts


def visible_trainee_ids(viewer: User) -> set[int] | None:
    """Return the trainees whose attempts the viewer may see (None: everyone, for admins)."""
    if viewer.has_role(Role.ADMIN):
        return None
    cohort_ids = [c.id for c in cohorts_visible_to(viewer)]
    if not cohort_ids:
        return set()
    query = select(CohortMember.user_id).where(CohortMember.cohort_id.in_(cohort_ids))
    return set(db.session.scalars(query))


def attempt_counts(section: QuizSection, trainee_ids: set[int] | None) -> dict[str, int]:
    """Return the number of submitted attempts per quiz."""
    query = (
        select(QuizAttempt.quiz_id, func.count(QuizAttempt.id))
        .where(QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.quiz_id)
    )
    if trainee_ids is not None:
        query = query.where(QuizAttempt.user_id.in_(trainee_ids))
    counts = {quiz_id: count for quiz_id, count in db.session.execute(query)}
    return {quiz_id: counts.get(quiz_id, 0) for quiz_id in section.quizzes}


def quiz_statistics(quiz: Quiz, trainee_ids: set[int] | None) -> QuizStats:
    """Compute item statistics and the score distribution of one quiz."""
    query = select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)
    if trainee_ids is not None:
        query = query.where(QuizAttempt.user_id.in_(trainee_ids))
    attempts = list(db.session.scalars(query.order_by(QuizAttempt.id)))
    submitted = [a for a in attempts if a.submitted_at is not None and a.score is not None]
    versions = versions_of(submitted)
    per_question: dict[str, QuestionStats] = {q.id: QuestionStats(q) for q in quiz.questions}
    for attempt in submitted:
        for entry in attempt.paper["questions"]:
            result = (attempt.results or {}).get(entry["id"])
            if result is None:
                continue
            key = versions[result["version"]]
            stats = per_question.setdefault(entry["id"], QuestionStats(key))
            stats.attempts += 1
            stats.points += result["points"]
            answer = (attempt.answers or {}).get(entry["id"])
            if grading.is_correct(result["points"]):
                stats.correct += 1
            else:
                stats.wrong_answers.update(_wrong_choices(key, answer))
    return QuizStats(
        quiz=quiz,
        scores=[a.score for a in submitted if a.score is not None],
        questions=list(per_question.values()),
        trainees=_trainee_rows(quiz, attempts),
    )


def _wrong_choices(key: Question, answer: Any) -> list[str]:
    """Name what was wrong in an answer: the wrong options ticked, or the wrong answer given."""
    if answer is None:
        return []
    if key.type == "multiple":
        return [grading.answer_label(key, [o]) for o in answer if o not in key.answer]
    if key.type == "text":
        return [grading.normalise_text(str(answer))]
    return [grading.answer_label(key, answer)]


def _trainee_rows(quiz: Quiz, attempts: list[QuizAttempt]) -> list[TraineeRow]:
    by_user: dict[int, list[QuizAttempt]] = {}
    for attempt in attempts:
        by_user.setdefault(attempt.user_id, []).append(attempt)
    if not by_user:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(by_user)))}
    extra: dict[int, int] = {}
    if quiz.max_attempts:
        grants = (
            select(ExtraAttempt.user_id, func.count(ExtraAttempt.id))
            .where(ExtraAttempt.quiz_id == quiz.id, ExtraAttempt.user_id.in_(by_user))
            .group_by(ExtraAttempt.user_id)
        )
        extra = {user_id: count for user_id, count in db.session.execute(grants)}
    rows = []
    for user_id, own in by_user.items():
        scores = [a.score for a in own if a.score is not None]
        rows.append(
            TraineeRow(
                user=users[user_id],
                attempts=len(own),
                best_score=max(scores) if scores else None,
                passed=any(a.passed for a in own),
                allowed=quiz.max_attempts + extra.get(user_id, 0) if quiz.max_attempts else None,
            )
        )
    return sorted(rows, key=lambda r: r.user.full_name)
