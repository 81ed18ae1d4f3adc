"""The programme, its days and their lessons, read from curriculum/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.content.errors import Problems
from app.content.markdown_render import render_markdown
from app.content.yamlfile import Fields, Seq, parse, read

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)


@dataclass(frozen=True)
class Topic:
    """A topic of a day, with the points the guide lists under it."""

    title: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Lesson:
    """One lesson: Markdown rendered to safe HTML."""

    id: str
    day_id: str
    title: str
    duration: int
    objectives: tuple[str, ...]
    html: str
    words: int
    path: Path


@dataclass(frozen=True)
class Day:
    """One day of the programme."""

    id: str
    number: int
    week: int
    title: str
    summary: str
    folder: str
    topics: tuple[Topic, ...]
    objectives: tuple[str, ...]
    practice: tuple[str, ...]
    lab_slugs: tuple[str, ...]
    lessons: tuple[Lesson, ...]

    @property
    def minutes(self) -> int:
        """Return the day's planned lesson time."""
        return sum(lesson.duration for lesson in self.lessons)


@dataclass(frozen=True)
class Programme:
    """The whole course."""

    id: str
    title: str
    summary: str
    days: tuple[Day, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def day(self, day_id: str) -> Day | None:
        """Return a day by id."""
        return next((d for d in self.days if d.id == day_id), None)


PROGRAMME_KEYS = (
    "id",
    "title",
    "summary",
    "days",
    "pass_marks",
    "signoff",
    "certificate",
    "drills",
)
DAY_KEYS = ("id", "number", "week", "title", "summary", "topics", "objectives", "practice", "labs")
LESSON_KEYS = ("id", "title", "duration", "objectives")


def check_id(value: str, fields: Fields, key: str) -> None:
    """Record a problem when an id is not lowercase letters, digits and dashes."""
    if value and not ID_PATTERN.match(value):
        fields.error(key, f"{key} {value!r} must be lowercase letters, digits and dashes")


def load_programme(content_dir: Path, problems: Problems) -> Programme | None:
    """Load programme.yaml and every day it lists."""
    path = content_dir / "programme.yaml"
    if not path.is_file():
        problems.add(path, 1, "programme.yaml is missing")
        return None
    fields = Fields(read(path, problems), path, problems, "programme")
    if not fields.ok:
        return None
    fields.allow_only(PROGRAMME_KEYS)
    programme_id = fields.text("id", required=True)
    check_id(programme_id, fields, "id")
    days: list[Day] = []
    folders = fields.strings("days", required=True)
    if not folders:
        fields.error("days", "the programme must list at least one day")
    raw = fields.node.get("days")
    lines = raw.item_lines if isinstance(raw, Seq) else []
    for position, folder in enumerate(folders, start=1):
        line = lines[position - 1] if position <= len(lines) else fields.line("days")
        day = _load_day(content_dir / folder, position, line, problems)
        if day is not None:
            days.append(day)
    _check_unique_ids(days, problems)
    extra = {
        k: fields.node[k]
        for k in ("pass_marks", "signoff", "certificate", "drills")
        if k in fields.node
    }
    return Programme(
        id=programme_id,
        title=fields.text("title", required=True),
        summary=fields.text("summary"),
        days=tuple(days),
        extra=extra,
    )


def _load_day(folder: Path, position: int, line: int, problems: Problems) -> Day | None:
    path = folder / "day.yaml"
    if not path.is_file():
        problems.add(
            folder.parent / "programme.yaml", line, f"day folder {folder.name!r} has no day.yaml"
        )
        return None
    fields = Fields(read(path, problems), path, problems, "day")
    if not fields.ok:
        return None
    fields.allow_only(DAY_KEYS)
    day_id = fields.text("id", required=True)
    check_id(day_id, fields, "id")
    number = fields.get("number", int, 0, required=True)
    if number and number != position:
        fields.error(
            "number", f"day number {number} does not match its place {position} in programme.yaml"
        )

    def topic(item: Any, line: int) -> Topic | None:
        t = Fields(item, path, problems, "topic", line)
        if not t.ok:
            return None
        t.allow_only(("title", "points"))
        return Topic(title=t.text("title", required=True), points=tuple(t.strings("points")))

    lessons = tuple(_load_lessons(folder, day_id, problems))
    if not lessons:
        fields.error(None, f"day {day_id!r} has no lessons (*.md files in {folder.name}/)")
    return Day(
        id=day_id,
        number=number,
        week=fields.get("week", int, 1),
        title=fields.text("title", required=True),
        summary=fields.text("summary"),
        folder=folder.name,
        topics=tuple(fields.items("topics", topic, required=True)),
        objectives=tuple(fields.strings("objectives")),
        practice=tuple(fields.strings("practice")),
        lab_slugs=tuple(fields.strings("labs")),
        lessons=lessons,
    )


def _load_lessons(folder: Path, day_id: str, problems: Problems) -> list[Lesson]:
    lessons = []
    for path in sorted(folder.glob("*.md")):
        lesson = load_lesson(path, day_id, problems)
        if lesson is not None:
            lessons.append(lesson)
    return lessons


def read_front_matter(path: Path, problems: Problems, what: str) -> tuple[Fields, str] | None:
    """Read a Markdown file's front matter as Fields (lines counted in the file) and its body."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add(path, 1, f"cannot read file: {error}")
        return None
    match = FRONT_MATTER.match(text)
    if match is None:
        problems.add(path, 1, "the file must start with front matter between two '---' lines")
        return None
    meta = parse(match.group(1), path, problems, line_offset=1)
    if meta is None:
        return None
    fields = Fields(meta, path, problems, what, 2)
    if not fields.ok:
        return None
    # The front matter starts on the file's second line, after the opening '---'.
    fields.node.key_lines = {k: v + 1 for k, v in fields.node.key_lines.items()}
    return fields, text[match.end() :]


def load_lesson(path: Path, day_id: str, problems: Problems) -> Lesson | None:
    """Load one lesson file."""
    found = read_front_matter(path, problems, "lesson front matter")
    if found is None:
        return None
    fields, body = found
    fields.allow_only(LESSON_KEYS)
    lesson_id = fields.text("id", required=True)
    check_id(lesson_id, fields, "id")
    duration = fields.get("duration", int, 0, required=True)
    if duration is not None and not 1 <= duration <= 240:
        fields.error("duration", f"duration must be between 1 and 240 minutes, got {duration}")
    if not body.strip():
        problems.add(path, 1, "the lesson has no text after its front matter")
    return Lesson(
        id=lesson_id,
        day_id=day_id,
        title=fields.text("title", required=True),
        duration=duration or 0,
        objectives=tuple(fields.strings("objectives")),
        html=render_markdown(body),
        words=len(body.split()),
        path=path,
    )


def _check_unique_ids(days: list[Day], problems: Problems) -> None:
    seen: dict[str, Path] = {}
    for day in days:
        for lesson in day.lessons:
            if lesson.id in seen:
                problems.add(
                    lesson.path,
                    2,
                    f"lesson id {lesson.id!r} is also used by {seen[lesson.id].name}",
                )
            seen[lesson.id] = lesson.path
    day_ids = [d.id for d in days]
    for day in days:
        if day_ids.count(day.id) > 1:
            problems.add(Path(day.folder) / "day.yaml", 1, f"day id {day.id!r} is used twice")
