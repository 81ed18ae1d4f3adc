"""A cohort's progress read in bulk: one query per kind of record, whatever the cohort's size.

The per-trainee services of lessons, quizzes and labs answer for one person; the progress matrix
needs everyone at once, so this module reads those features' tables directly, in the same terms
as their services (a day is complete when its lessons are read, its quiz is passed and its labs
are passed; a lab is passed when one session completed every task, which for an exam means
before its deadline). tests/coordination check that both agree.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select

from app.certification.checklist import Progress
from app.certification.models import AcknowledgmentSignature, Attestation, Certificate
from app.clock import as_utc
from app.content import Catalog
from app.coordination.models import CohortMember
from app.extensions import db
from app.learning.models import LessonProgress


def installed(feature: str) -> bool:
    """Tell whether an optional feature package (quizzes, labs, sandboxes) is present."""
    return importlib.util.find_spec(f"app.{feature}") is not None


@dataclass(slots=True)
class LabState:
    """A trainee's state on one lab: passed, tried, and when they last worked on it."""

    passed: bool = False
    sessions: int = 0
    last_active: datetime | None = None
    passed_at: datetime | None = None  # when a session first completed every task


@dataclass
class StuckSession:
    """An open lab session whose checks have kept failing since the trainee's last progress."""

    session_id: int
    lab_slug: str
    failing_since: datetime
    failing_runs: int
    latest_run_id: int
    failing_check: str = ""


@dataclass
class CohortProgress:
    """Every record the matrix shows, for every trainee of a cohort, keyed by user id."""

    # Lessons completed per trainee and day (of the lessons the programme has now).
    lessons_done: dict[int, dict[str, int]] = field(default_factory=dict)
    # The newest lesson moment per trainee and day, as the database gave it: for a complete day,
    # when its last lesson was completed (the progress chart reads only those).
    lessons_done_at: dict[int, dict[str, datetime]] = field(default_factory=dict)
    quizzes_passed: dict[int, set[str]] = field(default_factory=dict)
    # When each quiz was first passed, per trainee and quiz, as read (the progress chart).
    quizzes_passed_at: dict[int, dict[str, datetime]] = field(default_factory=dict)
    # Per trainee and quiz: (attempts started, attempts submitted, passed, extra attempts).
    quiz_attempts: dict[int, dict[str, tuple[int, int, bool, int]]] = field(default_factory=dict)
    assessment_passed: dict[int, bool] = field(default_factory=dict)
    labs: dict[int, dict[str, LabState]] = field(default_factory=dict)
    stuck: dict[int, list[StuckSession]] = field(default_factory=dict)
    attestations: dict[int, list[Attestation]] = field(default_factory=dict)
    signatures: dict[int, list[AcknowledgmentSignature]] = field(default_factory=dict)
    certificates: dict[int, list[Certificate]] = field(default_factory=dict)
    last_activity: dict[int, datetime] = field(default_factory=dict)
    # Per trainee and exam lab: the state of its best attempt (app.labs.exam.EXAM_STATES).
    exams: dict[int, dict[str, str]] = field(default_factory=dict)
    quizzes_installed: bool = False
    labs_installed: bool = False

    def note_activity(self, user_id: int, moment: datetime | None) -> None:
        """Remember the newest moment a trainee did something."""
        if moment is None:
            return
        moment = as_utc(moment)
        known = self.last_activity.get(user_id)
        if known is None or moment > known:
            self.last_activity[user_id] = moment

    def progress(self, user_id: int, complete_days: frozenset[str]) -> Progress:
        """Return the checklist's view of one trainee."""
        return Progress(
            user_id=user_id,
            complete_days=complete_days,
            assessment_passed=self.assessment_passed.get(user_id, False)
            if self.quizzes_installed
            else None,
            passed_labs=(
                frozenset(
                    slug for slug, state in self.labs.get(user_id, {}).items() if state.passed
                )
                if self.labs_installed
                else None
            ),
            attestations=self.attestations.get(user_id, []),
            signatures=self.signatures.get(user_id, []),
            certificates=self.certificates.get(user_id, []),
            exams=self.exams.get(user_id, {}) if self.labs_installed else None,
        )


def members_query(cohort_id: int) -> Select[int]:
    """Return a subquery of the cohort's member ids (keeps every statement one size)."""
    return select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)


def load_cohort_progress(
    cohort_id: int, catalog: Catalog, now: datetime, stuck_after: timedelta
) -> CohortProgress:
    """Read the whole cohort's records with a fixed number of queries."""
    members = members_query(cohort_id)
    data = CohortProgress(quizzes_installed=installed("quizzes"), labs_installed=installed("labs"))
    _lessons(data, members, catalog)
    if data.quizzes_installed:
        _quizzes(data, members)
    if data.labs_installed:
        _labs(data, members, now, stuck_after)
        _exams(data, members, catalog)
    for attestation in db.session.scalars(
        select(Attestation).where(Attestation.user_id.in_(members)).order_by(Attestation.id)
    ):
        data.attestations.setdefault(attestation.user_id, []).append(attestation)
        data.note_activity(attestation.user_id, attestation.created_at)
    for signature in db.session.scalars(
        select(AcknowledgmentSignature)
        .where(AcknowledgmentSignature.user_id.in_(members))
        .order_by(AcknowledgmentSignature.signed_at)
    ):
        data.signatures.setdefault(signature.user_id, []).append(signature)
        data.note_activity(signature.user_id, signature.signed_at)
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.user_id.in_(members)).order_by(Certificate.cycle)
    ):
        data.certificates.setdefault(certificate.user_id, []).append(certificate)
    return data


def _lessons(data: CohortProgress, members: Select[int], catalog: Catalog) -> None:
    # Counted per day in the database; the day comes from the catalog, not the stored row, so a
    # lesson moved to another day counts where it is now, as day_statuses counts it.
    day_of = {lesson_id: lesson.day_id for lesson_id, lesson in catalog.lessons.items()}
    if not day_of:
        return
    day = case(day_of, value=LessonProgress.lesson_id)
    rows = db.session.execute(
        select(
            LessonProgress.user_id,
            day,
            func.count(LessonProgress.completed_at),
            func.max(func.coalesce(LessonProgress.completed_at, LessonProgress.first_opened_at)),
        )
        .where(LessonProgress.user_id.in_(members), LessonProgress.lesson_id.in_(list(day_of)))
        .group_by(LessonProgress.user_id, day)
    )
    for user_id, day_id, completed, last in rows:
        if completed:
            data.lessons_done.setdefault(user_id, {})[day_id] = completed
            # Once every lesson of the day is complete, the newest moment is its last
            # completion: the progress chart reads it only for such days (as read; UTC later).
            data.lessons_done_at.setdefault(user_id, {})[day_id] = last
        data.note_activity(user_id, last)


def _quizzes(data: CohortProgress, members: Select[int]) -> None:
    from app.quizzes.lockout import attempt_totals_query
    from app.quizzes.models import QuizAttempt

    # The same statement, with the moment of the first pass for the progress chart.
    first_pass = func.min(case((QuizAttempt.passed.is_(True), QuizAttempt.submitted_at)))
    rows = db.session.execute(attempt_totals_query(members).add_columns(first_pass))
    for user_id, quiz_id, kind, used, submitted, was_passed, extra, last, passed_at in rows:
        if was_passed:
            data.quizzes_passed.setdefault(user_id, set()).add(quiz_id)
            if passed_at is not None:
                data.quizzes_passed_at.setdefault(user_id, {})[quiz_id] = passed_at
            if kind == "assessment":
                data.assessment_passed[user_id] = True
        data.quiz_attempts.setdefault(user_id, {})[quiz_id] = (
            used,
            submitted,
            bool(was_passed),
            extra or 0,
        )
        data.note_activity(user_id, last)


def lockouts(data: CohortProgress, user_id: int, catalog: Catalog) -> list[tuple[str, int, int]]:
    """Return (title, attempts used, attempts allowed) of each quiz the trainee is locked out of."""
    if not data.quizzes_installed:
        return []
    from app.content.quizzes import quiz_section
    from app.quizzes.lockout import locked_out

    section = quiz_section(catalog)
    found = []
    for quiz_id, (used, submitted, passed, extra) in data.quiz_attempts.get(user_id, {}).items():
        quiz = section.quizzes.get(quiz_id)
        if quiz is not None and locked_out(quiz.max_attempts, extra, used, submitted, passed):
            found.append((quiz.title, used, quiz.max_attempts + extra))
    return found


def _labs(
    data: CohortProgress, members: Select[int], now: datetime, stuck_after: timedelta
) -> None:
    from app.labs.models import OPEN_STATUSES, CheckRun, LabSession, RunStatus, TaskResult

    rows = db.session.execute(
        select(
            LabSession.user_id,
            LabSession.lab_slug,
            func.count(LabSession.id),
            func.max(case((LabSession.completed_at.is_not(None), 1), else_=0)),
            func.max(func.coalesce(LabSession.last_seen_at, LabSession.started_at)),
            func.min(LabSession.completed_at),
        )
        .where(LabSession.user_id.in_(members))
        .group_by(LabSession.user_id, LabSession.lab_slug)
    )
    for user_id, slug, sessions, completed, last, passed_at in rows:
        data.labs.setdefault(user_id, {})[slug] = LabState(
            bool(completed), sessions, last and as_utc(last), passed_at and as_utc(passed_at)
        )
        data.note_activity(user_id, last)

    # Runs since the session's last passed task (or its start) are runs that passed nothing new.
    last_pass = (
        select(func.max(TaskResult.passed_at))
        .where(TaskResult.session_id == LabSession.id)
        .scalar_subquery()
    )
    since_progress = and_(
        CheckRun.session_id == LabSession.id,
        CheckRun.status == RunStatus.DONE.value,
        CheckRun.requested_at > func.coalesce(last_pass, LabSession.started_at),
    )
    failing_since = select(func.min(CheckRun.requested_at)).where(since_progress).scalar_subquery()
    failing_runs = select(func.count(CheckRun.id)).where(since_progress).scalar_subquery()
    latest_run = select(func.max(CheckRun.id)).where(since_progress).scalar_subquery()
    open_sessions = db.session.execute(
        select(
            LabSession.id,
            LabSession.user_id,
            LabSession.lab_slug,
            failing_since,
            failing_runs,
            latest_run,
        ).where(LabSession.user_id.in_(members), LabSession.status.in_(OPEN_STATUSES))
    )
    flagged: dict[int, tuple[int, StuckSession]] = {}
    for session_id, user_id, slug, since, runs, latest in open_sessions:
        if since is None or runs < 2 or as_utc(since) > now - stuck_after:
            continue
        flagged[latest] = (user_id, StuckSession(session_id, slug, as_utc(since), runs, latest))
    if not flagged:
        return
    for run_id, results in db.session.execute(
        select(CheckRun.id, CheckRun.results).where(CheckRun.id.in_(list(flagged)))
    ):
        user_id, stuck = flagged[run_id]
        stuck.failing_check = _first_failure(results)
        data.stuck.setdefault(user_id, []).append(stuck)


def _exams(data: CohortProgress, members: Select[int], catalog: Catalog) -> None:
    from app.labs.exam import exam_states_of

    exams = [lab for lab in catalog.sections.get("labs", {}).values() if lab.is_exam]
    if exams:
        data.exams.update(exam_states_of(members, exams))


def _first_failure(results: Any) -> str:
    for result in results or []:
        if isinstance(result, dict) and result.get("outcome") in ("failed", "error"):
            return str(result.get("title") or result.get("check_id") or "")
    return ""


def day_quiz_ids(catalog: Catalog, quizzes_installed: bool) -> dict[str, str]:
    """Return the id of each day's quiz, for the days that have one."""
    if not quizzes_installed:
        return {}
    from app.content.quizzes import quiz_section

    section = quiz_section(catalog)
    return {
        day.id: quiz.id for day in catalog.days if (quiz := section.for_day(day.id)) is not None
    }


DayPlan = tuple[tuple[str, bool, str | None, tuple[str, ...]], ...]


def day_plan(catalog: Catalog, day_quizzes: dict[str, str], labs_installed: bool = True) -> DayPlan:
    """Return (day id, has lessons, quiz id, lab slugs) per day: what completes each day."""
    return tuple(
        (
            day.id,
            bool(day.lessons),
            day_quizzes.get(day.id),
            day.lab_slugs if labs_installed else (),
        )
        for day in catalog.days
    )


def completion_dates(
    data: CohortProgress, user_id: int, plan: DayPlan, complete: frozenset[str]
) -> list[date | None]:
    """Return the UTC date each complete day became complete: its last lesson, its quiz's first
    pass or its labs' first passes, whichever came last; None when the records do not date it."""
    lessons = data.lessons_done_at.get(user_id, {})
    passed = data.quizzes_passed_at.get(user_id, {})
    labs = data.labs.get(user_id, {})
    found: list[date | None] = []
    for day_id, has_lessons, quiz_id, lab_slugs in plan:
        if day_id not in complete:
            continue
        moment = lessons.get(day_id) if has_lessons else None
        if has_lessons and moment is None:
            found.append(None)
            continue
        if quiz_id is not None:
            # Both read from the same database: both naive or both aware, so they compare.
            quiz_moment = passed.get(quiz_id)
            if quiz_moment is None:
                found.append(None)
                continue
            if moment is None or quiz_moment > moment:
                moment = quiz_moment
        lab_moments = [labs[slug].passed_at if slug in labs else None for slug in lab_slugs]
        if any(m is None for m in lab_moments):
            found.append(None)
            continue
        latest = max((m for m in lab_moments if m is not None), default=None)
        if latest is not None:
            moment = latest if moment is None or as_utc(latest) > as_utc(moment) else moment
        found.append(as_utc(moment).date() if moment is not None else None)
    return found


def day_progress(
    data: CohortProgress, user_id: int, catalog: Catalog, day_quizzes: dict[str, str]
) -> dict[str, tuple[int, int]]:
    """Return (done, total) per day for one trainee: lessons, the day's quiz and its labs."""
    lessons = data.lessons_done.get(user_id, {})
    passed = data.quizzes_passed.get(user_id, set())
    labs = data.labs.get(user_id, {})
    result = {}
    for day in catalog.days:
        total = len(day.lessons)
        done = min(lessons.get(day.id, 0), total)
        quiz_id = day_quizzes.get(day.id)
        if quiz_id is not None:
            total += 1
            done += int(quiz_id in passed)
        if data.labs_installed:
            total += len(day.lab_slugs)
            done += sum(1 for slug in day.lab_slugs if slug in labs and labs[slug].passed)
        result[day.id] = (done, total)
    return result
