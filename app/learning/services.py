"""Lesson progress and the ten-day plan, computed from the catalog and progress rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.clock import utcnow
from app.content import Catalog
from app.content.programme import Day
from app.extensions import db
from app.learning.models import LessonProgress

MAX_HEARTBEAT_SECONDS = 60


@dataclass(frozen=True)
class DayStatus:
    """How far a trainee is through one day: its lessons, its quiz and its labs.

    A day is complete when every lesson is read, its quiz (a DAY_REQUIREMENTS entry) is passed
    and every lab it lists is passed (for an exam lab: an attempt passed in time). Labs count
    only when the labs feature is installed; otherwise they are 0 of 0.
    """

    day: Day
    lessons_done: int
    lessons_total: int
    extra_done: int = 0
    extra_total: int = 0
    labs_done: int = 0
    labs_total: int = 0

    @property
    def done(self) -> int:
        """Return the number of finished items: lessons, other requirements and labs."""
        return self.lessons_done + self.extra_done + self.labs_done

    @property
    def total(self) -> int:
        """Return the number of items the day requires."""
        return self.lessons_total + self.extra_total + self.labs_total

    @property
    def percent(self) -> int:
        """Return progress as a whole percentage."""
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        """Tell whether every requirement of the day is met, its labs included."""
        return self.total > 0 and self.done == self.total

    # The day cards' names for the same figures (labs have counted toward them all along).
    @property
    def work_done(self) -> int:
        """Return what the day's card counts as done (the same as done)."""
        return self.done

    @property
    def work_total(self) -> int:
        """Return everything the day asks for (the same as total)."""
        return self.total

    @property
    def work_percent(self) -> int:
        """Return the share of the day's work done (the same as percent)."""
        return self.percent

    @property
    def all_done(self) -> bool:
        """Tell whether the day is complete (the same as complete)."""
        return self.complete


# Other features (the day's quiz) add requirements to a day: a function taking
# (user_id, day, catalog) and returning (done, total).
DayRequirement = Callable[[int, Day, Catalog], tuple[int, int]]
DAY_REQUIREMENTS: list[DayRequirement] = []


def progress_rows(user_id: int) -> dict[str, LessonProgress]:
    """Return the user's progress rows keyed by lesson id."""
    rows = db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user_id))
    return {row.lesson_id: row for row in rows}


def _row(user_id: int, lesson_id: str, day_id: str, version: str) -> LessonProgress:
    row = db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id
        )
    )
    if row is None:
        row = LessonProgress(
            user_id=user_id,
            lesson_id=lesson_id,
            day_id=day_id,
            content_version=version,
            seconds_spent=0,
        )
        db.session.add(row)
    return row


def record_open(user_id: int, catalog: Catalog, lesson_id: str) -> LessonProgress:
    """Note that a user opened a lesson."""
    lesson = catalog.lessons[lesson_id]
    row = _row(user_id, lesson_id, lesson.day_id, catalog.version)
    db.session.flush()
    return row


def add_time(user_id: int, catalog: Catalog, lesson_id: str, seconds: int) -> int:
    """Add reading time from a page heartbeat (bounded per beat) and return the total."""
    lesson = catalog.lessons[lesson_id]
    row = _row(user_id, lesson_id, lesson.day_id, catalog.version)
    row.seconds_spent = (row.seconds_spent or 0) + max(0, min(seconds, MAX_HEARTBEAT_SECONDS))
    db.session.flush()
    return row.seconds_spent


def mark_complete(user_id: int, catalog: Catalog, lesson_id: str) -> LessonProgress:
    """Mark a lesson complete with the content version the trainee read."""
    lesson = catalog.lessons[lesson_id]
    row = _row(user_id, lesson_id, lesson.day_id, catalog.version)
    if row.completed_at is None:
        row.completed_at = utcnow()
        _report_lesson(user_id, lesson_id, lesson.title)
    row.content_version = catalog.version
    db.session.flush()
    return row


def _report_lesson(user_id: int, lesson_id: str, title: str) -> None:
    """Tell the learning record store (when there is one) that a lesson was completed."""
    from app.auth.models import User
    from app.xapi import statements

    if statements.enabled() and (user := db.session.get(User, user_id)) is not None:
        statements.lesson_completed(user, lesson_id, title)


def passed_labs(user_id: int) -> frozenset[str] | None:
    """Return the labs the user passed, or None when labs are not installed."""
    try:
        from app.labs.services import passed_lab_slugs
    except ModuleNotFoundError as error:
        if error.name in ("app.labs", "app.labs.services"):
            return None
        raise
    return frozenset(passed_lab_slugs(user_id))


def day_statuses(user_id: int, catalog: Catalog) -> list[DayStatus]:
    """Return the trainee's status for every day, in order."""
    rows = progress_rows(user_id)
    labs = passed_labs(user_id)
    statuses = []
    for day in catalog.days:
        done = sum(
            1 for lesson in day.lessons if rows.get(lesson.id) and rows[lesson.id].completed_at
        )
        extra_done = extra_total = 0
        for requirement in DAY_REQUIREMENTS:
            d, t = requirement(user_id, day, catalog)
            extra_done += d
            extra_total += t
        lab_slugs = day.lab_slugs if labs is not None else ()
        statuses.append(
            DayStatus(
                day,
                done,
                len(day.lessons),
                extra_done,
                extra_total,
                labs_done=sum(1 for slug in lab_slugs if slug in (labs or ())),
                labs_total=len(lab_slugs),
            )
        )
    return statuses


def current_day(statuses: list[DayStatus]) -> DayStatus | None:
    """Return the first day not yet complete."""
    return next((s for s in statuses if not s.complete), None)
