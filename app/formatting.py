"""How every page writes scores, sizes and the titles of content: one rule each, as Jinja
filters and globals, so that a trainee and their coordinator read the same thing.

- `score`: a quiz score as a percentage with one decimal (`16.7%`, `100.0%`), the precision
  grading stores; `—` when there is none.
- `size`: a byte count: under 1 KB in bytes (`512 B`), then KB, then MB with one decimal
  (1 KB = 1024 bytes).
- `when`: a moment in the reader's time zone with the zone's abbreviation (`2026-12-04 19:05
  SAST`); `when('%d %B %Y')` for another layout, `when('date')` for the date alone. The zone is
  the one on the reader's account page, else the browser's (a `tz` cookie the pages set), else
  UTC. Naive datetimes are taken as UTC, as the platform stores them.
- `spreadsheet_cell`: a value for a CSV export, neutralised when a spreadsheet would run it as a
  formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return): a `'` goes in front.
- `quiz_title(id)`, `lab_title(slug)`, `task_title(lab, id)`, `purpose_text(purpose)`: the
  catalog's titles where a page only holds an id; the id itself when the content is gone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, has_request_context, request

KB = 1024
MB = 1024 * 1024
NONE = "—"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """Return a CSV cell that a spreadsheet shows as text rather than runs as a formula."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def score_text(value: float | None) -> str:
    """Write a quiz score (a percentage) with one decimal."""
    if value is None:
        return NONE
    return f"{float(value):.1f}%"


def size_text(count: int | None) -> str:
    """Write a size in bytes: `512 B`, `1.5 KB`, `2.0 MB`."""
    if count is None:
        return NONE
    count = max(0, int(count))
    if count < KB:
        return f"{count} B"
    # Decide the unit on the rounded figure, so 1,048,575 bytes reads 1.0 MB, not 1024.0 KB.
    if round(count / KB, 1) < KB:
        return f"{count / KB:.1f} KB"
    return f"{count / MB:.1f} MB"


TZ_COOKIE = "tz"
DEFAULT_LAYOUT = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo | None:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def known_zone(name: str) -> bool:
    """Tell whether name is an IANA time zone this machine knows."""
    return _zone(name) is not None


def reader_zone() -> tzinfo:
    """Return the zone to show times in for whoever reads the current page."""
    if has_request_context():
        from flask_login import current_user

        chosen = getattr(current_user, "time_zone", None) if current_user else None
        for name in (chosen, request.cookies.get(TZ_COOKIE, "")):
            zone = _zone(name or "")
            if zone is not None:
                return zone
    return UTC


def when_text(moment: datetime | date | None, layout: str = DEFAULT_LAYOUT) -> str:
    """Write a moment in the reader's zone, with the zone's abbreviation unless date-only."""
    if moment is None:
        return NONE
    if not isinstance(moment, datetime):  # a calendar date has no zone to convert
        return moment.strftime("%Y-%m-%d" if layout in ("date", DEFAULT_LAYOUT) else layout)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(reader_zone())
    if layout == "date":
        return local.strftime("%Y-%m-%d")
    if "%H" not in layout and "%I" not in layout:
        return local.strftime(layout)  # a day or a month: the zone adds nothing
    return f"{local.strftime(layout)} {local.tzname() or 'UTC'}"


def _catalog() -> Any:
    from app.content import get_catalog

    return get_catalog()


def quiz_title(quiz_id: str | None) -> str:
    """Return a quiz's title (the id when the quiz is no longer in the programme)."""
    if not quiz_id:
        return ""
    section = _catalog().sections.get("quizzes")
    quiz = getattr(section, "quizzes", {}).get(quiz_id)
    return str(quiz.title) if quiz is not None else quiz_id


def lab_title(slug: str | None) -> str:
    """Return a lab's title (the slug when the lab is no longer in the programme)."""
    if not slug:
        return ""
    lab = _catalog().sections.get("labs", {}).get(slug)
    return str(lab.title) if lab is not None else slug


def task_title(lab: Any, task_id: str | None) -> str:
    """Return the title of a lab's task (the id when the task is gone)."""
    if not task_id:
        return ""
    task = next((t for t in getattr(lab, "tasks", ()) if t.id == task_id), None)
    return str(task.title) if task is not None else task_id


def purpose_text(purpose: str | None) -> str:
    """Describe what a sandbox is for: `lab:outage-502` reads as the lab's title."""
    if not purpose:
        return ""
    kind, _, rest = purpose.partition(":")
    if kind == "lab" and rest:
        return f"Lab: {lab_title(rest)}"
    return purpose


def init_app(app: Flask) -> None:
    """Register the filters and globals every template may use."""
    app.add_template_filter(score_text, "score")
    app.add_template_filter(size_text, "size")
    app.add_template_filter(when_text, "when")
    app.add_template_global(quiz_title)
    app.add_template_global(lab_title)
    app.add_template_global(task_title)
    app.add_template_global(purpose_text)
