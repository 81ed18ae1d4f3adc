"""Progress recorded by other features (lessons, quizzes, labs, sandboxes), read through their
services.

Quizzes, labs and sandboxes are optional packages: when one is not installed, the items it
proves cannot be judged (and so are not met), and the pages say so instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from app.auth.models import User
from app.certification.checklist import Checklist, Progress, evaluate
from app.certification.rules import rules_of
from app.certification.services import attestations_of, certificates_of, signatures_of
from app.content import Catalog
from app.learning.models import LessonProgress
from app.learning.services import DayStatus, day_statuses, progress_rows


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
    )


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
