"""A cohort's progress matrix: trainees by days, labs, assessment and checklist, with pacing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from app.auth.models import User
from app.certification.checklist import evaluate
from app.certification.rules import SignoffItem, rules_of
from app.clock import utcnow
from app.content import Catalog
from app.content.programme import Day
from app.coordination.models import Cohort
from app.coordination.pacing import Pacing, PacingPolicy, assess, expected_day, with_lockouts
from app.coordination.progress import (
    LabState,
    completion_dates,
    day_plan,
    day_progress,
    day_quiz_ids,
    load_cohort_progress,
    lockouts,
)
from app.coordination.services import members_of
from app.formatting import spreadsheet_cell


def day_complete(done: int, total: int) -> bool:
    """Tell whether a day with done of total items is complete."""
    return total > 0 and done >= total


def day_percent(done: int, total: int) -> int:
    """Return a day's progress as a percentage."""
    return round(100 * done / total) if total else 0


def day_mark(done: int, total: int) -> tuple[str, str]:
    """Return the matrix cell of a day: its CSS class and text."""
    if day_complete(done, total):
        return "done", "✓"
    return ("part", f"{day_percent(done, total)}%") if done else ("none", "")


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One trainee's line of the matrix.

    Cells are plain tuples of numbers and words, not objects: a 200-trainee page would otherwise
    keep thousands of objects alive per request, and the garbage collector's full passes over
    them are what makes a page slow now and then.
    """

    trainee: User
    days: tuple[tuple[int, int], ...]  # (done, total) per day
    day_marks: tuple[tuple[str, str], ...]  # (css class, text) per day
    labs: tuple[str, ...]  # "passed", "tried", or "" per required lab
    lab_sessions: tuple[int, ...]
    assessment: bool | None
    items: tuple[tuple[int, int, bool], ...]  # (done, total, met) per checklist item
    item_notes: tuple[str, ...]
    ready: bool
    certificate: str  # the code of the valid certificate, if any
    certified: bool  # holds a valid certificate and recertification is not open yet
    pacing: Pacing
    last_activity: datetime | None
    days_done_on: tuple[date, ...] = ()  # the date each complete day became complete, sorted
    labs_done_on: tuple[date, ...] = ()  # the date each required lab was first passed, sorted

    def item_marks(self) -> list[tuple[str, str, str]]:
        """Return (css class, text, title) per checklist item."""
        if self.certified:
            return [("done", "✓", "met at certification")] * len(self.items)
        return [
            (
                "done" if met else ("part" if done else "none"),
                "✓" if met else (f"{done}/{total}" if total > 1 else ""),
                note,
            )
            for (done, total, met), note in zip(self.items, self.item_notes, strict=True)
        ]

    def lab_marks(self) -> list[tuple[str, str]]:
        """Return (css class, text) per required lab."""
        marks = {"passed": ("done", "✓"), "tried": ("part", "…"), "": ("none", "")}
        return [marks[state] for state in self.labs]


@dataclass(frozen=True)
class Matrix:
    """A cohort's matrix and the columns it is made of."""

    cohort: Cohort
    days: tuple[Day, ...]
    lab_slugs: tuple[str, ...]
    lab_titles: dict[str, str]
    items: tuple[SignoffItem, ...]
    rows: tuple[MatrixRow, ...]
    expected_day: int
    quizzes_installed: bool
    labs_installed: bool

    @property
    def flagged(self) -> int:
        """Return how many trainees carry a flag."""
        return sum(1 for row in self.rows if row.pacing.flags)

    @cached_property
    def item_columns(self) -> tuple[int, ...]:
        """Return the positions of the checklist items the page gives a column of their own.

        Items about days and labs only count what the day and lab columns already show, one
        cell each; the page leaves them out to stay narrow (the CSV keeps every item).
        """
        return tuple(n for n, item in enumerate(self.items) if item.kind not in ("days", "labs"))

    def column_marks(self, row: MatrixRow) -> list[tuple[str, str, str]]:
        """Return (css class, text, title) of a row's checklist items that have a column."""
        marks = row.item_marks()
        return [marks[n] for n in self.item_columns]


def build_matrix(
    cohort: Cohort,
    catalog: Catalog,
    now: datetime | None = None,
    policy: PacingPolicy | None = None,
) -> Matrix:
    """Build a cohort's matrix with a fixed number of queries."""
    now = now or utcnow()
    policy = policy or PacingPolicy()
    rules = rules_of(catalog)
    members = members_of(cohort.id)
    data = load_cohort_progress(cohort.id, catalog, now, timedelta(minutes=policy.stuck_minutes))
    quizzes = day_quiz_ids(catalog, data.quizzes_installed)
    labs = catalog.sections.get("labs", {})
    plan = day_plan(catalog, quizzes, data.labs_installed)
    rows = []
    for trainee in members:
        per_day = day_progress(data, trainee.id, catalog, quizzes)
        cells = tuple(per_day[day.id] for day in catalog.days)
        complete = frozenset(
            day.id for day, cell in zip(catalog.days, cells, strict=True) if day_complete(*cell)
        )
        current = next(
            (n for n, cell in enumerate(cells, start=1) if not day_complete(*cell)), len(cells) + 1
        )
        lab_states = data.labs.get(trainee.id, {})
        stuck = [
            (
                f"{getattr(labs.get(s.lab_slug), 'title', s.lab_slug)}"
                + (f" — {s.failing_check}" if s.failing_check else ""),
                s.failing_since,
                s.failing_runs,
            )
            for s in data.stuck.get(trainee.id, [])
        ]
        last = data.last_activity.get(trainee.id)
        checklist = evaluate(rules, data.progress(trainee.id, complete), now)
        states = [lab_states.get(slug) for slug in rules.lab_slugs]
        # Completions the records cannot date count on the day of the trainee's last activity.
        fallback = (last or now).date()
        completed_on = completion_dates(data, trainee.id, plan, complete)
        rows.append(
            MatrixRow(
                trainee=trainee,
                days=cells,
                day_marks=tuple(day_mark(*cell) for cell in cells),
                labs=tuple(_lab_state(state) for state in states),
                lab_sessions=tuple(state.sessions if state else 0 for state in states),
                assessment=data.assessment_passed.get(trainee.id, False)
                if data.quizzes_installed
                else None,
                items=tuple((s.done, s.total, s.met) for s in checklist.items),
                item_notes=tuple(s.summary for s in checklist.items),
                ready=checklist.ready,
                certificate=checklist.current.code if checklist.current else "",
                certified=checklist.current is not None and bool(checklist.blocked),
                pacing=with_lockouts(
                    assess(cohort.start_date, now, current, len(cells), last, stuck, policy),
                    lockouts(data, trainee.id, catalog),
                ),
                last_activity=last,
                days_done_on=tuple(sorted(d or fallback for d in completed_on)),
                labs_done_on=tuple(
                    sorted(
                        s.passed_at.date() if s.passed_at else fallback
                        for s in states
                        if s is not None and s.passed
                    )
                ),
            )
        )
    return Matrix(
        cohort=cohort,
        days=catalog.days,
        lab_slugs=rules.lab_slugs,
        lab_titles={slug: getattr(labs.get(slug), "title", slug) for slug in rules.lab_slugs},
        items=rules.items,
        rows=tuple(rows),
        expected_day=expected_day(cohort.start_date, now.date(), len(catalog.days)),
        quizzes_installed=data.quizzes_installed,
        labs_installed=data.labs_installed,
    )


def _lab_state(state: LabState | None) -> str:
    if state is None:
        return ""
    return "passed" if state.passed else "tried"


def _lab_word(state: str, sessions: int) -> str:
    return f"tried ({sessions})" if state == "tried" else state


def matrix_csv(matrix: Matrix) -> str:
    """Write the matrix as CSV, one row per trainee."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "expected_day", "current_day", "flags"]
        + [f"day {day.number} %" for day in matrix.days]
        + [f"lab {slug}" for slug in matrix.lab_slugs]
        + ["assessment"]
        + [f"checklist {item.id}" for item in matrix.items]
        + ["ready_for_signoff", "certificate", "last_activity"]
    )
    for row in matrix.rows:
        current = "done" if row.pacing.finished else str(row.pacing.current_day)
        writer.writerow(
            [
                spreadsheet_cell(row.trainee.full_name),
                spreadsheet_cell(row.trainee.email),
                row.pacing.expected_day,
                current,
            ]
            + ["; ".join(flag.text for flag in row.pacing.flags)]
            + [day_percent(*cell) for cell in row.days]
            + [_lab_word(state, n) for state, n in zip(row.labs, row.lab_sessions, strict=True)]
            + ["" if row.assessment is None else ("passed" if row.assessment else "not passed")]
            + [f"{min(done, total)}/{total}" for done, total, _ in row.items]
            + [
                "yes" if row.ready else "no",
                row.certificate,
                row.last_activity.strftime("%Y-%m-%d %H:%M") if row.last_activity else "",
            ]
        )
    return out.getvalue()
