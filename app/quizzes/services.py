"""Attempts: start, resume, save, submit, expire and grade; what other features ask of quizzes."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.clock import as_utc, utcnow
from app.content import Catalog
from app.content.questions import Question, Quiz, question_from_definition, quiz_section
from app.extensions import db
from app.quizzes import grading
from app.quizzes.models import ExtraAttempt, QuestionVersion, QuizAttempt
from app.quizzes.paper import draw_paper

# A submission sent just as the clock ran out still counts: pages and networks are not instant.
GRACE = timedelta(seconds=30)


class AttemptRefused(Exception):
    """A new attempt may not start now; the message says why."""


class AttemptClosed(Exception):
    """The attempt was already submitted; nothing was changed."""


@dataclass(frozen=True)
class PaperItem:
    """A question of an attempt as the trainee saw it, with their answer and its points."""

    number: int
    question: Question  # the version drawn: the prompt and options the trainee saw
    key: Question  # the version graded against (a later one after a regrade)
    options: tuple[str, ...]
    answer: Any
    points: float | None

    @property
    def correct(self) -> bool:
        """Tell whether the answer earned full marks."""
        return self.points is not None and grading.is_correct(self.points)

    @property
    def regraded(self) -> bool:
        """Tell whether a regrade graded this answer against a later version of the question."""
        return self.key.version != self.question.version


@dataclass(frozen=True)
class Standing:
    """A trainee's position on one quiz: attempts so far and whether another may start."""

    quiz: Quiz
    attempts: list[QuizAttempt]
    allowed_attempts: int | None
    refusal: str | None
    next_start_at: datetime | None

    @property
    def open_attempt(self) -> QuizAttempt | None:
        """Return the attempt in progress."""
        return next((a for a in self.attempts if a.is_open), None)

    @property
    def passed(self) -> bool:
        """Tell whether any attempt passed."""
        return any(a.passed for a in self.attempts)

    @property
    def best_score(self) -> float | None:
        """Return the best score so far."""
        scores = [a.score for a in self.attempts if a.score is not None]
        return max(scores) if scores else None

    @property
    def attempts_left(self) -> int | None:
        """Return how many attempts remain (None when unlimited)."""
        if self.allowed_attempts is None:
            return None
        return max(0, self.allowed_attempts - len(self.attempts))

    @property
    def can_start(self) -> bool:
        """Tell whether a new attempt may start now."""
        return self.open_attempt is None and self.refusal is None


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else utcnow()


def standing(
    user_id: int, quiz: Quiz, now: datetime | None = None, since: datetime | None = None
) -> Standing:
    """Return the trainee's attempts at a quiz and whether another may start.

    With `since` (a recurring drill's window), only attempts started from that moment count: a
    quiz passed during training may be taken again, with the quiz's own attempt limit and delay.
    """
    now = _now(now)
    query = select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz.id
    )
    if since is not None:
        query = query.where(QuizAttempt.started_at >= since)
    attempts = list(db.session.scalars(query.order_by(QuizAttempt.number.desc())))
    allowed = None
    if quiz.max_attempts:
        extras = select(func.count(ExtraAttempt.id)).where(
            ExtraAttempt.user_id == user_id, ExtraAttempt.quiz_id == quiz.id
        )
        if since is not None:
            extras = extras.where(ExtraAttempt.granted_at >= since)
        extra = db.session.scalar(extras)
        allowed = quiz.max_attempts + (extra or 0)
    refusal = None
    next_start = None
    closed = [a for a in attempts if a.submitted_at is not None]
    if any(a.passed for a in attempts):
        refusal = "You have passed this quiz."
    elif allowed is not None and len(attempts) >= allowed:
        refusal = f"You have used all {allowed} attempts. Ask your coordinator for another."
    elif quiz.delay_minutes and closed:
        last = max(as_utc(a.submitted_at) for a in closed if a.submitted_at is not None)
        if now < last + timedelta(minutes=quiz.delay_minutes):
            next_start = last + timedelta(minutes=quiz.delay_minutes)
            refusal = f"You can start another attempt at {next_start:%Y-%m-%d %H:%M} UTC."
    return Standing(quiz, attempts, allowed, refusal, next_start)


def start_attempt(
    user_id: int,
    quiz: Quiz,
    catalog: Catalog,
    now: datetime | None = None,
    seed: int | None = None,
    since: datetime | None = None,
) -> QuizAttempt:
    """Resume the open attempt or draw a new paper; raise AttemptRefused when not allowed.

    `since`: count only attempts started from then (see `standing`), as a drill retakes a quiz.
    """
    now = _now(now)
    close_expired(catalog, now, user_id=user_id, quiz_id=quiz.id)
    every = standing(user_id, quiz, now)
    if every.open_attempt is not None:
        return every.open_attempt
    current = every if since is None else standing(user_id, quiz, now, since)
    if current.refusal:
        raise AttemptRefused(current.refusal)
    seed = secrets.randbelow(2**31) if seed is None else seed
    # Earlier papers, oldest first: a retake prefers questions the trainee has not seen.
    entries = draw_paper(quiz, seed, [a.question_ids for a in reversed(every.attempts)])
    record_versions(quiz.id, [entry.question for entry in entries])
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=quiz.id,
        kind="assessment" if quiz.is_assessment else "day",
        day_id=quiz.day_id,
        number=max((a.number for a in every.attempts), default=0) + 1,
        content_version=catalog.version,
        paper={"seed": seed, "review": quiz.review, "questions": [e.as_json() for e in entries]},
        pass_mark=quiz.pass_mark,
        started_at=now,
        deadline=now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes
        else None,
        answers={},
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request started attempt N a moment ago (a double click): resume that one.
        raced = standing(user_id, quiz, now).open_attempt
        if raced is None:
            raise AttemptRefused("Another attempt was started at the same time.") from None
        return raced
    _report(attempt, quiz.title, graded=False)
    return attempt


def _report(attempt: QuizAttempt, title: str, *, graded: bool) -> None:
    """Tell the learning record store (when there is one) about a started or graded attempt."""
    from app.auth.models import User
    from app.xapi import statements

    if not statements.enabled():
        return
    user = db.session.get(User, attempt.user_id)
    if user is None:
        return
    if not graded:
        statements.quiz_attempted(user, attempt.quiz_id, title)
    else:
        statements.quiz_graded(
            user, attempt.quiz_id, title, float(attempt.score or 0), bool(attempt.passed)
        )


def record_versions(quiz_id: str, questions: list[Question]) -> None:
    """Store the full definition of every question version not stored yet."""
    wanted = {q.version: q for q in questions}
    stored = set(
        db.session.scalars(
            select(QuestionVersion.version).where(QuestionVersion.version.in_(wanted))
        )
    )
    # Insert in one fixed order: two starts drawing overlapping questions in different orders
    # would otherwise each wait on the other's uncommitted row of the unique index (a deadlock).
    for version, question in sorted(wanted.items()):
        if version in stored:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    QuestionVersion(
                        question_id=question.id,
                        version=version,
                        quiz_id=quiz_id,
                        definition=question.definition,
                    )
                )
        except IntegrityError:
            continue  # stored by a concurrent start; the definition is identical by its hash


def versions_of(attempts: list[QuizAttempt]) -> dict[str, Question]:
    """Return the stored question versions the attempts were drawn with, keyed by hash."""
    hashes = {e["version"] for a in attempts for e in a.paper["questions"]}
    hashes.update(r["version"] for a in attempts for r in (a.results or {}).values())
    if not hashes:
        return {}
    rows = db.session.scalars(select(QuestionVersion).where(QuestionVersion.version.in_(hashes)))
    return {row.version: question_from_definition(row.definition) for row in rows}


def paper_of(
    attempt: QuizAttempt, versions: Mapping[str, Question] | None = None
) -> list[PaperItem]:
    """Return the attempt's questions as drawn, with the answers and points recorded."""
    versions = versions if versions is not None else versions_of([attempt])
    results = attempt.results or {}
    items = []
    for number, entry in enumerate(attempt.paper["questions"], start=1):
        result = results.get(entry["id"])
        seen = versions[entry["version"]]
        items.append(
            PaperItem(
                number=number,
                question=seen,
                key=versions[result["version"]] if result else seen,
                options=tuple(entry["options"]),
                answer=(attempt.answers or {}).get(entry["id"]),
                points=result["points"] if result else None,
            )
        )
    return items


def _read(attempt: QuizAttempt, raw: Mapping[str, list[str]], catalog: Catalog) -> dict[str, Any]:
    versions = versions_of([attempt])
    paper = {e["id"]: versions[e["version"]] for e in attempt.paper["questions"]}
    order = {e["id"]: e["options"] for e in attempt.paper["questions"]}
    return grading.read_answers(raw, paper, order, quiz_section(catalog).question_ids)


def lock_attempt(attempt_id: int) -> QuizAttempt | None:
    """Load an attempt and lock its row until the transaction ends."""
    return db.session.get(QuizAttempt, attempt_id, with_for_update=True, populate_existing=True)


def _expired(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > as_utc(attempt.deadline) + GRACE


def save_answers(
    attempt: QuizAttempt,
    raw: Mapping[str, list[str]],
    catalog: Catalog,
    now: datetime | None = None,
) -> bool:
    """Save answers in progress; return False when time ran out and the attempt was closed."""
    now = _now(now)
    if not attempt.is_open:
        raise AttemptClosed("This attempt has been submitted already.")
    if _expired(attempt, now):
        _close_at_deadline(attempt, catalog)
        return False
    attempt.answers = _read(attempt, raw, catalog)
    db.session.flush()
    return True


def submit(
    attempt: QuizAttempt,
    raw: Mapping[str, list[str]],
    catalog: Catalog,
    now: datetime | None = None,
) -> QuizAttempt:
    """Grade and close the attempt; after the deadline the answers saved in time are graded."""
    now = _now(now)
    if not attempt.is_open:
        raise AttemptClosed("This attempt has been submitted already.")
    if _expired(attempt, now):
        _close_at_deadline(attempt, catalog)
        return attempt
    answers = _read(attempt, raw, catalog)
    _grade(attempt, answers, catalog, now)
    return attempt


def _close_at_deadline(attempt: QuizAttempt, catalog: Catalog) -> None:
    assert attempt.deadline is not None
    attempt.expired = True
    _grade(attempt, dict(attempt.answers or {}), catalog, as_utc(attempt.deadline))


def _grade(attempt: QuizAttempt, answers: dict[str, Any], catalog: Catalog, at: datetime) -> None:
    versions = versions_of([attempt])
    results = {}
    for entry in attempt.paper["questions"]:
        question = versions[entry["version"]]
        points = grading.grade(question, answers.get(entry["id"]))
        results[entry["id"]] = {"points": points, "version": entry["version"]}
    apply_results(attempt, results, catalog)
    attempt.answers = answers
    attempt.submitted_at = at
    db.session.flush()
    quiz = quiz_section(catalog).quizzes.get(attempt.quiz_id)
    _report(attempt, quiz.title if quiz else attempt.quiz_id, graded=True)


def apply_results(attempt: QuizAttempt, results: dict[str, Any], catalog: Catalog) -> None:
    """Set the attempt's per-question results, score and pass from points."""
    total = sum(r["points"] for r in results.values())
    count = len(attempt.paper["questions"])
    attempt.results = results
    attempt.score = grading.score_percent([total], count)
    attempt.passed = grading.reaches(total, count, attempt.pass_mark)
    attempt.graded_version = catalog.version
    attempt.graded_at = utcnow()


def close_expired(
    catalog: Catalog,
    now: datetime | None = None,
    *,
    user_id: int | None = None,
    quiz_id: str | None = None,
) -> int:
    """Grade every open attempt whose time ran out, with the answers saved before the deadline."""
    now = _now(now)
    query = select(QuizAttempt).where(
        QuizAttempt.submitted_at.is_(None),
        QuizAttempt.deadline.is_not(None),
        QuizAttempt.deadline < now - GRACE,
    )
    if user_id is not None:
        query = query.where(QuizAttempt.user_id == user_id)
    if quiz_id is not None:
        query = query.where(QuizAttempt.quiz_id == quiz_id)
    closed = 0
    for attempt in db.session.scalars(query.with_for_update(skip_locked=True)).all():
        _close_at_deadline(attempt, catalog)
        closed += 1
    return closed


def grant_extra_attempt(
    user_id: int, quiz_id: str, by_user_id: int | None, reason: str = ""
) -> ExtraAttempt:
    """Allow a trainee one more attempt at a quiz beyond its limit."""
    grant = ExtraAttempt(
        user_id=user_id, quiz_id=quiz_id, granted_by_id=by_user_id, reason=reason.strip()
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def quiz_passed(user_id: int, quiz_id: str) -> bool:
    """Tell whether the trainee has passed a quiz."""
    query = select(
        exists().where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.passed.is_(True),
        )
    )
    return bool(db.session.scalar(query))


def assessment_passed(user_id: int, since: datetime | None = None) -> bool:
    """Tell whether the trainee has passed the final assessment (submitted after `since`)."""
    condition = [
        QuizAttempt.user_id == user_id,
        QuizAttempt.kind == "assessment",
        QuizAttempt.passed.is_(True),
    ]
    if since is not None:
        condition.append(QuizAttempt.submitted_at >= since)
    return bool(db.session.scalar(select(exists().where(*condition))))


def attempts_for(user_id: int) -> list[QuizAttempt]:
    """Return every attempt of a trainee, oldest first."""
    query = (
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    return list(db.session.scalars(query))


def passed_quiz_ids(user_id: int) -> set[str]:
    """Return the ids of every quiz the trainee has passed."""
    query = select(QuizAttempt.quiz_id).where(
        QuizAttempt.user_id == user_id, QuizAttempt.passed.is_(True)
    )
    return set(db.session.scalars(query.distinct()))
