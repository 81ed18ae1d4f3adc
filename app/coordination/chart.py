"""The cohort progress chart: programme days and required labs completed over time, against the
plan's pace (one day per working day from the cohort's start, app/coordination/pacing.py).

Pure functions over the matrix's rows: every figure comes from the completion dates the matrix
already read, so the chart costs no query. The page draws it as inline SVG from the geometry
computed here (coordination/_chart.html); the same figures are listed in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.content import Catalog
from app.coordination.matrix import Matrix
from app.coordination.pacing import expected_day, working_days

# The drawing's own units (the SVG scales to its box through its viewBox).
WIDTH = 560
HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 34, 14, 14, 34
# Beyond this many working days the table lists one row a week instead of one a day.
DAILY_ROWS = 25


@dataclass(frozen=True, slots=True)
class PacePoint:
    """The cohort at the end of one date: what the plan expects and what trainees completed."""

    on: date
    expected: int
    mean: float | None  # None for dates still to come (or a cohort without trainees)
    fewest: int | None
    most: int | None
    behind: int | None  # trainees the matrix flags as behind that day (a full day short)


@dataclass(frozen=True, slots=True)
class Tick:
    """An axis label at a position of the drawing."""

    at: float
    label: str


@dataclass(frozen=True)
class PaceSeries:
    """One measure (days or labs) over the cohort's calendar, with its drawing."""

    key: str
    title: str
    unit: str
    total: int
    points: tuple[PacePoint, ...]
    today: date
    expected_line: str  # SVG points of the plan's pace
    mean_line: str  # SVG points of the cohort's mean, up to today
    band: str  # SVG polygon from the fewest to the most completed, up to today
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    today_x: float | None
    last: tuple[float, float] | None  # where the mean line ends (today)

    @property
    def current(self) -> PacePoint | None:
        """Return today's point (or the last one when today is past the drawing)."""
        known = [p for p in self.points if p.mean is not None]
        return known[-1] if known else None

    @property
    def rows(self) -> tuple[PacePoint, ...]:
        """Return the points the data table lists: working days (weekly when many), and today."""
        days = [p for p in self.points if p.on.weekday() < 5 or p.on == self.today]
        if len(days) > DAILY_ROWS:
            first = days[0].on
            days = [
                p
                for p in days
                if (p.on - first).days % 7 == 0 or p.on == self.today or p is days[-1]
            ]
        return tuple(days)

    def description(self, trainees: int, start: date) -> str:
        """Say in words what the drawing shows (its SVG desc)."""
        plan_end = self.points[-1].on if self.points else start
        now = self.current
        if now is None or now.mean is None:
            when = "starts" if self.today < start else "started"
            return (
                f"The cohort {when} on {_long(start)}; the plan expects all {self.total} "
                f"{self.unit} by {_long(plan_end)}."
                + ("" if trainees else " It has no trainees yet.")
            )
        return (
            f"By {_long(now.on)} the cohort's {trainees} trainee{'s' if trainees != 1 else ''} "
            f"completed {now.mean:.1f} of {self.total} {self.unit} on average (fewest "
            f"{now.fewest}, most {now.most}); the plan expects {now.expected}. "
            f"{now.behind} trainee{'s are' if now.behind != 1 else ' is'} a day or more behind."
        )


@dataclass(frozen=True)
class ProgressChart:
    """The cohort's progress chart: one series for days, one for labs when labs are installed."""

    start: date
    today: date
    trainees: int
    series: tuple[PaceSeries, ...]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def progress_chart(matrix: Matrix, catalog: Catalog, today: date) -> ProgressChart:
    """Build the chart of a cohort's matrix as it stands on `today`."""
    start = matrix.cohort.start_date
    total = len(matrix.days)
    end = max(today, plan_end(start, total))
    dates = [start + timedelta(days=n) for n in range((end - start).days + 1)]

    expected = [expected_day(start, on, total) for on in dates]
    series = [
        _series(
            "days",
            "Programme days completed",
            "days",
            total,
            dates,
            expected,
            today,
            lambda number: number,
            [row.days_done_on for row in matrix.rows],
        )
    ]
    lab_days = _lab_day_numbers(matrix, catalog)
    if matrix.labs_installed and lab_days:
        series.append(
            _series(
                "labs",
                "Required labs passed",
                "labs",
                len(lab_days),
                dates,
                expected,
                today,
                lambda number: sum(1 for day in lab_days if day <= number),
                [row.labs_done_on for row in matrix.rows],
            )
        )
    return ProgressChart(start, today, len(matrix.rows), tuple(series))


def plan_end(start: date, total_days: int) -> date:
    """Return the date by whose end the plan expects every day complete."""
    if total_days <= 0:
        return start
    on = start
    while working_days(start, on) < total_days:
        on += timedelta(days=1)
    return on


def _lab_day_numbers(matrix: Matrix, catalog: Catalog) -> list[int]:
    """Return the programme day number of each required lab (empty when one is unknown)."""
    labs = catalog.sections.get("labs", {})
    numbers = []
    for slug in matrix.lab_slugs:
        lab = labs.get(slug)
        day = catalog.day(lab.day_id) if lab is not None else None
        if day is None:
            return []
        numbers.append(day.number)
    return numbers


def _series(
    key: str,
    title: str,
    unit: str,
    total: int,
    dates: Sequence[date],
    expected_days: Sequence[int],
    today: date,
    by_day: Callable[[int], int],
    done_on: Sequence[tuple[date, ...]],
) -> PaceSeries:
    """Sweep the calendar once, adding each trainee's completions on their date.

    `by_day(n)` is how many the plan expects once programme day n is complete. The matrix flags
    a trainee behind when the day they are on trails the expected one, i.e. when they have
    completed less than the plan expects of the day before: the table counts the same.
    """
    events: dict[date, list[int]] = {}
    first = dates[0]
    counts = [0] * len(done_on)
    for index, moments in enumerate(done_on):
        for moment in moments:
            if moment <= first:
                counts[index] += 1
            else:
                events.setdefault(moment, []).append(index)
    points = []
    for on, day in zip(dates, expected_days, strict=True):
        for index in events.get(on, ()):
            counts[index] += 1
        expected = by_day(day)
        if on > today or not counts:
            points.append(PacePoint(on, expected, None, None, None, None))
            continue
        due = by_day(max(0, day - 1))
        points.append(
            PacePoint(
                on,
                expected,
                sum(counts) / len(counts),
                min(counts),
                max(counts),
                sum(1 for c in counts if c < due),
            )
        )
    return _draw(key, title, unit, total, tuple(points), today)


def _draw(
    key: str, title: str, unit: str, total: int, points: tuple[PacePoint, ...], today: date
) -> PaceSeries:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = max(1, len(points) - 1)
    top_value = max(1, total)

    def x(index: int) -> float:
        return LEFT + plot_w * index / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top_value) / top_value)

    def line(pairs: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{px:.1f},{py:.1f}" for px, py in pairs)

    known = [(i, p) for i, p in enumerate(points) if p.mean is not None]
    expected_line = line([(x(i), y(p.expected)) for i, p in enumerate(points)])
    mean_line = line([(x(i), y(p.mean or 0)) for i, p in known])
    band = line(
        [(x(i), y(p.most or 0)) for i, p in known]
        + [(x(i), y(p.fewest or 0)) for i, p in reversed(known)]
    )
    last = (x(known[-1][0]), y(known[-1][1].mean or 0)) if known else None
    today_index = next((i for i, p in enumerate(points) if p.on == today), None)
    step = max(1, math.ceil(len(points) / 9))
    x_ticks = tuple(
        Tick(round(x(i), 1), f"{p.on.day} {p.on:%b}") for i, p in enumerate(points) if i % step == 0
    )
    y_step = 1 if total <= 5 else 2
    y_ticks = tuple(Tick(round(y(v), 1), str(v)) for v in range(0, top_value + 1, y_step))
    return PaceSeries(
        key=key,
        title=title,
        unit=unit,
        total=total,
        points=points,
        today=today,
        expected_line=expected_line,
        mean_line=mean_line,
        band=band if len(known) > 1 else "",
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        today_x=round(x(today_index), 1) if today_index is not None else None,
        last=last,
    )


def _long(on: date) -> str:
    return f"{on:%a} {on.day} {on:%b %Y}"
