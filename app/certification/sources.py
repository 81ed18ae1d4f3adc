"""Progress recorded by other features (lessons, quizzes, labs, sandboxes), read through their
services.

Quizzes, labs and sandboxes are optional packages: when one is not installed, the items it
proves cannot be judged (and so are not met), and the pages say so instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from app.auth.models import User
from app.certification.checklist import Checklist, Progress, evaluate
from app.certification.rules import rules_of
from app.certification.services import attestations_of, certificates_of, signatures_of
from app.clock import as_utc
from app.content import Catalog
from app.learning.models import LessonProgress
from app.learning.services import DayStatus, day_statuses, progress_rows

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def feature_services(feature: str) -> ModuleType | None:
    """Return app.<feature>.services, or None when that feature is not installed."""
    name = f"app.{feature}.services"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name in (f"app.{feature}", name):
            return None
        raise


def assessment_passed(user_id: int) -> bool | None:
    """Tell whether the trainee passed the final assessment (None: quizzes not installed)."""
    quizzes = feature_services("quizzes")
    return bool(quizzes.assessment_passed(user_id)) if quizzes else None


def passed_labs(user_id: int) -> frozenset[str] | None:
    """Return the labs the trainee passed (None: labs not installed)."""
    labs = feature_services("labs")
    return frozenset(labs.passed_lab_slugs(user_id)) if labs else None


def exam_states(user_id: int, catalog: Catalog) -> dict[str, str] | None:
    """Return the trainee's standing on each exam lab (None: labs not installed)."""
    if feature_services("labs") is None:
        return None
    from app.labs.exam import exam_states as states_of

    return states_of(user_id, list(catalog.sections.get("labs", {}).values()))


def quiz_attempts(user_id: int) -> list[Any] | None:
    """Return the trainee's quiz attempts (None: quizzes not installed)."""
    quizzes = feature_services("quizzes")
    return list(quizzes.attempts_for(user_id)) if quizzes else None


def lab_sessions(user_id: int) -> list[Any] | None:
    """Return the trainee's lab sessions with their check runs (None: labs not installed)."""
    labs = feature_services("labs")
    return list(labs.lab_evidence(user_id)) if labs else None


def recordings(user_id: int) -> list[Any] | None:
    """Return the trainee's terminal recordings (None: sandboxes not installed)."""
    sandboxes = feature_services("sandboxes")
    return list(sandboxes.recordings_for(user_id)) if sandboxes else None


def progress_of(user_id: int, catalog: Catalog, days: list[DayStatus] | None = None) -> Progress:
    """Gather everything the checklist judges for one trainee."""
    days = day_statuses(user_id, catalog) if days is None else days
    return Progress(
        user_id=user_id,
        complete_days=frozenset(s.day.id for s in days if s.complete),
        assessment_passed=assessment_passed(user_id),
        passed_labs=passed_labs(user_id),
        attestations=attestations_of(user_id),
        signatures=signatures_of(user_id),
        certificates=certificates_of(user_id),
        exams=exam_states(user_id, catalog),
    )


@dataclass
class RecordingGroup:
    """The terminal recordings of one sandbox, with the lab session it served (if any)."""

    sandbox_id: str
    session: Any | None  # the LabSession whose sandbox it was
    lab_title: str
    recordings: list[Any] = field(default_factory=list)  # by host, then start
    task_times: list[tuple[str, datetime]] = field(default_factory=list)  # (task, passed at)

    @property
    def started_at(self) -> datetime | None:
        """Return when the group's first recording started."""
        return min((as_utc(r.started_at) for r in self.recordings), default=None)

    @property
    def live(self) -> bool:
        """Tell whether a terminal of the group is still being recorded."""
        return any(r.ended_at is None for r in self.recordings)


def group_recordings(
    recordings: list[Any], sessions: list[Any] | None, catalog: Catalog
) -> list[RecordingGroup]:
    """Group recordings under the lab session of their sandbox, newest session first.

    A sandbox keeps one recording per host (reconnects append to it), so a group lists each
    host once; recordings of a sandbox no lab session used form a group of their own.
    """
    labs = catalog.sections.get("labs", {})
    by_sandbox = {s.sandbox_id: s for s in sessions or [] if s.sandbox_id}
    groups: dict[str, RecordingGroup] = {}
    for recording in recordings:
        group = groups.get(recording.sandbox_id)
        if group is None:
            session = by_sandbox.get(recording.sandbox_id)
            lab = labs.get(session.lab_slug) if session is not None else None
            group = RecordingGroup(
                sandbox_id=recording.sandbox_id,
                session=session,
                lab_title=lab.title if lab is not None else (session.lab_slug if session else ""),
                task_times=_task_times(session, lab),
            )
            groups[recording.sandbox_id] = group
        group.recordings.append(recording)
    for group in groups.values():
        group.recordings.sort(key=lambda r: (r.host, r.started_at, r.id))
    return sorted(
        groups.values(),
        key=lambda g: (g.session.id if g.session else 0, g.started_at or EPOCH),
        reverse=True,
    )


def _task_times(session: Any | None, lab: Any | None) -> list[tuple[str, datetime]]:
    if session is None:
        return []
    titles = {task.id: task.title for task in getattr(lab, "tasks", ())}
    passed = [r for r in session.task_results if r.passed_at is not None]
    return [
        (titles.get(r.task_id, r.task_id), r.passed_at)
        for r in sorted(passed, key=lambda r: r.passed_at)
    ]


@dataclass
class TraineeRecord:
    """Everything a trainee has done, with the checklist it adds up to: the evidence pages."""

    trainee: User
    days: list[DayStatus]
    lessons: dict[str, LessonProgress]
    progress: Progress
    checklist: Checklist
    quiz_attempts: list[Any] | None
    lab_sessions: list[Any] | None
    recordings: list[Any] | None

    def recording_groups(self, catalog: Catalog) -> list[RecordingGroup]:
        """Return the trainee's recordings grouped under their lab sessions."""
        return group_recordings(self.recordings or [], self.lab_sessions, catalog)


def record_of(trainee: User, catalog: Catalog, now: datetime | None = None) -> TraineeRecord:
    """Gather the whole record of one trainee."""
    days = day_statuses(trainee.id, catalog)
    progress = progress_of(trainee.id, catalog, days)
    return TraineeRecord(
        trainee=trainee,
        days=days,
        lessons=progress_rows(trainee.id),
        progress=progress,
        checklist=evaluate(rules_of(catalog), progress, now),
        quiz_attempts=quiz_attempts(trainee.id),
        lab_sessions=lab_sessions(trainee.id),
        recordings=recordings(trainee.id),
    )
