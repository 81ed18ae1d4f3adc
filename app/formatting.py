"""How every page writes scores, sizes and the titles of content: one rule each, as Jinja
filters and globals, so that a trainee and their coordinator read the same thing.

- `score`: a quiz score as a percentage with one decimal (`16.7%`, `100.0%`), the precision
  grading stores; `—` when there is none.
- `size`: a byte count: under 1 KB in bytes (`512 B`), then KB, then MB with one decimal
  (1 KB = 1024 bytes).
- `quiz_title(id)`, `lab_title(slug)`, `task_title(lab, id)`, `purpose_text(purpose)`: the
  catalog's titles where a page only holds an id; the id itself when the content is gone.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

KB = 1024
MB = 1024 * 1024
NONE = "—"


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
    app.add_template_global(quiz_title)
    app.add_template_global(lab_title)
    app.add_template_global(task_title)
    app.add_template_global(purpose_text)
