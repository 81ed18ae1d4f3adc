"""Practical labs read from labs/<slug>/lab.yaml and the scripts they name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.content.errors import Problems

if TYPE_CHECKING:
    from app.config import Settings
    from app.content.catalog import Catalog

NOT_LABS = {"images"}
# Names every script and placeholder may use besides the lab's own values.
BUILTIN_VALUES = ("session", "host")


@dataclass(frozen=True)
class Host:
    """One container of the lab's sandbox."""

    name: str
    image: str
    hostname: str
    # lab.yaml `net_admin: true`: the host may manage its own network namespace (nftables).
    net_admin: bool = False


@dataclass(frozen=True)
class Tab:
    """A service of a sandbox host shown on the lab page through the platform's proxy."""

    title: str
    host: str
    port: int
    scheme: str = "http"
    path: str = "/"


@dataclass(frozen=True)
class ValueSpec:
    """How one per-session random value is drawn from the session's seed."""

    name: str
    kind: str
    length: int = 12
    minimum: int = 0
    maximum: int = 0
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    """A script's text and where it came from (a file of the lab, or inline)."""

    source: str
    text: str


@dataclass(frozen=True)
class Step:
    """A script run on one host during setup, solve, cleanup or a task reset."""

    host: str
    script: Script
    user: str = "root"
    timeout: int = 300


@dataclass(frozen=True)
class ExpectRule:
    """How the platform judges one observation a probe reported (`obs` op `value`)."""

    obs: str
    op: str
    value: str
    message: str
    line: int = 0
    # `names` rules of `updates` checks: the other names the text must not mention.
    among: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One verification of a task; the fields used depend on the kind."""

    id: str
    task_id: str
    kind: str
    host: str
    title: str
    timeout: int = 30
    message: str = ""
    user: str = "root"
    script: Script | None = None
    query: str = ""
    database: str = "impactlink_prod"
    expect: str | None = None
    expect_rows: int | None = None
    url: str = ""
    method: str = "GET"
    status: int | None = None
    body_contains: tuple[str, ...] = ()
    body_not_contains: tuple[str, ...] = ()
    path: str = ""
    exists: bool = True
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    mode: str | None = None
    owner: str | None = None
    question: str = ""
    compare: str = "exact"
    tolerance: float = 0.0
    # The drawn values a script may see (as LAB_<NAME>); nothing else of the session enters.
    inputs: tuple[str, ...] = ()
    rules: tuple[ExpectRule, ...] = ()
    max_tries: int = 3
    expect_value: str | None = None
    tamper_scan: bool = True
    # `updates` checks (status updates posted on the platform): minutes from the lab's ready time
    # to the first update, most minutes between updates until the resolved one, rules for every
    # update before it (`rules`) and for the resolved one, and tasks that must have passed.
    first_within: int = 0
    every: int = 0
    resolved_rules: tuple[ExpectRule, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A piece of work the trainee does, proven by its checks."""

    id: str
    title: str
    instructions_html: str
    hints: tuple[str, ...]
    checks: tuple[Check, ...]
    reset: tuple[Step, ...] = ()


FORGERY_CLASSES = ("observer", "secrets", "shallow", "answers", "teaches")


@dataclass(frozen=True)
class Forgery:
    """A known shortcut: a script a trainee could run instead of the work; it must not pass."""

    name: str
    description: str
    kind: str
    targets: tuple[str, ...]
    script: Script
    host: str = ""  # where it runs; the lab's first host when empty


@dataclass(frozen=True)
class ExamRules:
    """What makes a lab an exam (`exam:` in lab.yaml): no hints, pass/fail only, no extension,
    a limited number of attempts with a cool-down between them, and a written incident record."""

    attempts: int = 2
    cooldown_hours: int = 24
    record: bool = True


@dataclass(frozen=True)
class Lab:
    """A practical lab: hosts, random values, lifecycle scripts and tasks."""

    id: str
    title: str
    day_id: str
    signoff_task: str
    summary: str
    intro_html: str
    time_limit_minutes: int
    continuous: bool
    hosts: tuple[Host, ...]
    values: tuple[ValueSpec, ...]
    setup: tuple[Step, ...]
    solve: tuple[Step, ...]
    cleanup: tuple[Step, ...]
    tasks: tuple[Task, ...]
    folder: Path
    forgeries: tuple[Forgery, ...] = ()
    tabs: tuple[Tab, ...] = ()
    exam: ExamRules | None = None

    @property
    def is_exam(self) -> bool:
        """Tell whether the lab is an exam (see ExamRules)."""
        return self.exam is not None

    @property
    def checks(self) -> tuple[Check, ...]:
        """Return every check of every task, in order."""
        return tuple(check for task in self.tasks for check in task.checks)

    def task(self, task_id: str) -> Task | None:
        """Return a task by id."""
        return next((t for t in self.tasks if t.id == task_id), None)


def labs_of(catalog: Catalog) -> dict[str, Lab]:
    """Return the catalog's labs keyed by slug."""
    labs: dict[str, Lab] = catalog.sections.get("labs", {})
    return labs


def read_lab(folder: Path, problems: Problems) -> Lab | None:
    """Read one lab folder on its own (no cross-checks with the curriculum)."""
    from app.content.lab_reader import LabReader

    return LabReader(folder, problems).read()


def load_labs(catalog: Catalog, settings: Settings, problems: Problems) -> None:
    """Load every lab under the labs folder into catalog.sections["labs"]."""
    labs: dict[str, Lab] = {}
    folder = settings.labs_dir
    if folder.is_dir():
        for lab_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            if lab_dir.name in NOT_LABS or lab_dir.name.startswith((".", "_")):
                continue
            lab = read_lab(lab_dir, problems)
            if lab is not None:
                labs[lab.id] = lab
    day_numbers = {day.id: day.number for day in catalog.days}
    for day in catalog.days:
        for slug in day.lab_slugs:
            if slug not in labs and not (folder / slug / "lab.yaml").is_file():
                day_file = settings.content_dir / day.folder / "day.yaml"
                problems.add(
                    day_file, _line_of_lab(day_file, slug), f"lab {slug!r} does not exist in labs/"
                )
    for lab in labs.values():
        lab_file = lab.folder / "lab.yaml"
        home = catalog.day(lab.day_id)
        if home is None:
            problems.add(
                lab_file, _line_of_key(lab_file, "day"), f"day {lab.day_id!r} does not exist"
            )
        elif lab.id not in home.lab_slugs:
            problems.add(
                lab_file,
                _line_of_key(lab_file, "day"),
                f"{home.folder}/day.yaml does not list this lab under labs:",
            )
    ordered = sorted(labs.values(), key=lambda lab: (day_numbers.get(lab.day_id, 99), lab.id))
    catalog.sections["labs"] = {lab.id: lab for lab in ordered}


def _line_of_lab(path: Path, slug: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(rf"(^|[\s\[,-]){re.escape(slug)}([\s\],]|$)", line):
            return number
    return 1


def _line_of_key(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1
