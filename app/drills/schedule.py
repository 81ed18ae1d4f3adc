"""When drills fall due: calendar periods in UTC and the occurrences of a drill for one holder.

Periods are calendar periods, the same for everyone: ISO weeks (Monday to Sunday), months and
quarters. A drill's first occurrence for a holder is the first whole period that starts after
the day their certificate was issued (the training itself covered the period of issue). An
occurrence opens at its period's start, is due at its end (the start of the next period) and
closes `grace_days` later. Pure functions of dates: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache


def period_start(day: date, period: str) -> date:
    """Return the first day of the period holding this day."""
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    if period == "quarterly":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"unknown period {period!r}")


def next_start(start: date, period: str) -> date:
    """Return the first day of the period after the one starting on `start`."""
    if period == "weekly":
        return start + timedelta(days=7)
    months = 1 if period == "monthly" else 3
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, 1)


def midnight(day: date) -> datetime:
    """Return the start of a day in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def first_start(issued: datetime, period: str) -> date:
    """Return the start of a holder's first occurrence: the first period after the issue day."""
    return first_after(issued.astimezone(UTC).date(), period)


@lru_cache(maxsize=4096)
def first_after(day: date, period: str) -> date:
    """Return the start of the first period after the one holding `day` (the day of issue, in
    UTC). Many holders were certified on the same day: a large view asks this thousands of
    times."""
    return next_start(period_start(day, period), period)


@dataclass(frozen=True, slots=True)
class Window:
    """One period: opens at `opens`, due at `due` (also as POSIX timestamps, for judging many
    holders fast)."""

    start: date
    opens: datetime
    due: datetime
    opens_ts: float
    due_ts: float


@lru_cache(maxsize=2048)
def windows(period: str, first: date, last: date) -> tuple[Window, ...]:
    """Return every period from the one starting on `first` to the one holding `last`."""
    out: list[Window] = []
    start = first
    while start <= last:
        following = next_start(start, period)
        opens, due = midnight(start), midnight(following)
        out.append(Window(start, opens, due, opens.timestamp(), due.timestamp()))
        start = following
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Calendar:
    """A holder's periods of one drill up to today, with their moments as lists to bisect and
    index (shared between callers through the cache: never change them)."""

    periods: tuple[Window, ...]
    opens: list[float]
    dues: list[float]
    # The period after the last one (or the first, when none has begun).
    following: date


@lru_cache(maxsize=2048)
def calendar(period: str, first: date, last: date) -> Calendar:
    """Return the periods from the one starting on `first` to the one holding `last`."""
    periods = windows(period, first, last) if first <= last else ()
    return Calendar(
        periods,
        [window.opens_ts for window in periods],
        [window.due_ts for window in periods],
        next_start(periods[-1].start, period) if periods else first,
    )


def label(start: date, period: str) -> str:
    """Name a period the way people say it: week of 2 Mar 2026, March 2026, Q1 2026."""
    if period == "weekly":
        return f"week of {start.day} {start:%b %Y}"
    if period == "monthly":
        return f"{start:%B %Y}"
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"
