"""All content, loaded and validated once, with the content version that evidence records."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from app.config import Settings
from app.content.errors import Problems
from app.content.programme import Day, Lesson, Programme, load_programme

IGNORED_PARTS = {"__pycache__", ".git", "node_modules"}


@dataclass
class Catalog:
    """The programme and everything attached to it, as typed objects."""

    programme: Programme
    version: str
    lessons: dict[str, Lesson] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def days(self) -> tuple[Day, ...]:
        """Return the days in order."""
        return self.programme.days

    def day(self, day_id: str) -> Day | None:
        """Return a day by id."""
        return self.programme.day(day_id)

    def lesson_neighbours(self, lesson_id: str) -> tuple[Lesson | None, Lesson | None]:
        """Return the lessons before and after this one across the whole programme."""
        ordered = [lesson for day in self.days for lesson in day.lessons]
        ids = [lesson.id for lesson in ordered]
        index = ids.index(lesson_id)
        before = ordered[index - 1] if index > 0 else None
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        return before, after


def content_version(*folders: Path) -> str:
    """Hash every content file, so any edit yields a new version."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if IGNORED_PARTS.intersection(path.parts):
                continue
            digest.update(str(path.relative_to(folder.parent)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:12]


# Each further kind of content (quizzes, labs, acknowledgment) adds a loader here. A loader
# takes (catalog, settings, problems), reads its files, and stores its result in
# catalog.sections under its own name.
SECTION_LOADERS: list[str] = [
    "app.content.labs:load_labs",
    "app.certification.rules:load_signoff",
    "app.content.quizzes:load_quizzes",
    "app.drills.content:load_drills",
]


def load_programme_catalog(settings: Settings, problems: Problems) -> Catalog:
    """Load the programme alone into a catalog with its content version and lesson index."""
    programme = load_programme(settings.content_dir, problems)
    problems.raise_if_any()
    assert programme is not None
    return Catalog(
        programme=programme,
        version=content_version(settings.content_dir, settings.labs_dir),
        lessons={lesson.id: lesson for day in programme.days for lesson in day.lessons},
    )


def load_catalog(settings: Settings) -> Catalog:
    """Load and validate all content; raise ContentError listing every problem."""
    import importlib

    problems = Problems(settings.content_dir.parent)
    catalog = load_programme_catalog(settings, problems)
    for dotted in SECTION_LOADERS:
        module_name, _, function = dotted.partition(":")
        getattr(importlib.import_module(module_name), function)(catalog, settings, problems)
    problems.raise_if_any()
    return catalog


_lock = threading.Lock()


def get_catalog() -> Catalog:
    """Return the application's catalog, loading it on first use."""
    extensions = current_app.extensions
    catalog = extensions.get("academy.catalog")
    if catalog is None:
        with _lock:
            catalog = extensions.get("academy.catalog")
            if catalog is None:
                catalog = load_catalog(current_app.config["ACADEMY"])
                extensions["academy.catalog"] = catalog
    return catalog
