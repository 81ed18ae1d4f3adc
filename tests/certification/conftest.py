"""Fixtures for sign-off and certificates: a cohort with its people, and ways to meet each item
through the real services of lessons, quizzes, labs and sign-off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from app.auth.models import Role, User
from app.certification import services as signoff
from app.certification.models import AttestationKind
from app.certification.rules import rules_of
from app.clock import utcnow
from app.content import Catalog, get_catalog
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from app.learning.services import mark_complete


@dataclass(frozen=True)
class Notice:
    """A notification as it would have been delivered."""

    to: str
    subject: str
    body: str


class Outbox:
    """The notifications committed to the outbox table since the test began (or clear())."""

    def __init__(self) -> None:
        self.after = self._last_id()

    @staticmethod
    def _last_id() -> int:
        from sqlalchemy import func, select

        from app.notifications.models import OutboxMessage

        return int(db.session.scalar(select(func.max(OutboxMessage.id))) or 0)

    def _notices(self) -> list[Notice]:
        from sqlalchemy import select

        from app.notifications.models import OutboxMessage

        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > self.after).order_by(OutboxMessage.id)
        )
        return [Notice(r.recipient, r.subject, r.body) for r in rows]

    def clear(self) -> None:
        """Forget the notifications so far."""
        self.after = self._last_id()

    def __iter__(self) -> Iterator[Notice]:
        return iter(self._notices())

    def __len__(self) -> int:
        return len(self._notices())

    def __getitem__(self, index: int) -> Notice:
        return self._notices()[index]

    def __eq__(self, other: object) -> bool:
        return self._notices() == other

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture
def outbox(session: Any) -> Outbox:
    """The notifications written to the outbox (only committed work writes any)."""
    return Outbox()


@pytest.fixture
def catalog(app: Flask, session: Any) -> Catalog:
    """The real programme, as the app loads it."""
    return get_catalog()


@dataclass
class Team:
    """A cohort with a coordinator and a trainee, a second cohort with its own, and an admin."""

    cohort_id: int
    coordinator: User
    trainee: User
    other_cohort_id: int
    other_coordinator: User
    other_trainee: User
    admin: User


@pytest.fixture
def team(session: Any, make_user: Callable[..., User]) -> Team:
    """Build two cohorts so that permission tests have someone to be refused."""
    coordinator = make_user(Role.COORDINATOR, name="Cora Coordinator")
    trainee = make_user(Role.TRAINEE, name="Thandi Trainee")
    other_coordinator = make_user(Role.COORDINATOR, name="Olu Othercoord")
    other_trainee = make_user(Role.TRAINEE, name="Otto Othertrainee")
    admin = make_user(Role.ADMIN, name="Ada Admin")
    cohort = create_cohort("Cohort A", date.today() - timedelta(days=14), [coordinator.id])
    other = create_cohort("Cohort B", date.today() - timedelta(days=14), [other_coordinator.id])
    add_member(cohort.id, trainee.id)
    add_member(other.id, other_trainee.id)
    session.commit()
    return Team(cohort.id, coordinator, trainee, other.id, other_coordinator, other_trainee, admin)


def right_answer(question: Any) -> list[str]:
    """Return the form values that answer a question correctly."""
    if question.type == "truefalse":
        return ["true" if question.answer else "false"]
    if question.type == "single":
        return [question.answer]
    if question.type in ("multiple", "ordering"):
        return list(question.answer)
    if question.type == "text":
        return [question.answer[0]]
    return [f"{question.answer:g}"]


def complete_lessons(user_id: int, catalog: Catalog) -> None:
    """Mark every lesson of the programme complete."""
    for lesson_id in catalog.lessons:
        mark_complete(user_id, catalog, lesson_id)


def pass_quiz(user_id: int, quiz: Any, catalog: Catalog) -> None:
    """Take a quiz through the quiz service and answer every question right."""
    from app.quizzes import services as quizzes
    from app.quizzes.services import versions_of

    attempt = quizzes.start_attempt(user_id, quiz, catalog)
    questions = versions_of([attempt])
    answers = {
        entry["id"]: right_answer(questions[entry["version"]])
        for entry in attempt.paper["questions"]
    }
    quizzes.submit(attempt, answers, catalog)
    assert attempt.passed, f"quiz {quiz.id} was not passed"


def pass_day_quizzes(user_id: int, catalog: Catalog) -> None:
    """Pass every day's quiz."""
    from app.content.quizzes import quiz_section

    section = quiz_section(catalog)
    for day in catalog.days:
        quiz = section.for_day(day.id)
        if quiz is not None:
            pass_quiz(user_id, quiz, catalog)


def pass_assessment(user_id: int, catalog: Catalog) -> None:
    """Pass the final assessment."""
    from app.content.quizzes import quiz_section

    quiz = quiz_section(catalog).assessment
    assert quiz is not None, "the programme has no final assessment"
    pass_quiz(user_id, quiz, catalog)


def pass_lab(user_id: int, slug: str, catalog: Catalog) -> None:
    """Pass every task of a lab through the labs service, as the check runner reports it.

    The sandbox and the lab's setup are the labs and sandboxes suites' to prove; here the session
    is marked ready as the supervisor's setup job does, and the check run's results are recorded
    through the same service call the runner uses.
    """
    from app.content.labs import labs_of
    from app.labs import services as labs
    from app.labs.checks import CheckResult
    from app.labs.models import SessionStatus, Trigger

    lab = labs_of(catalog)[slug]
    session = labs.start_session(user_id, lab, catalog.version)
    session.status = SessionStatus.ACTIVE.value
    session.ready_at = utcnow()
    db.session.flush()
    run = labs.request_check(session, lab, user_id=user_id, trigger=Trigger.TEST)
    assert run is not None
    results = [
        CheckResult(c.id, c.task_id, "passed", title=c.title, kind=c.kind) for c in lab.checks
    ]
    labs.record_results(run, lab, results)
    labs.finish_session(session)
    assert slug in labs.passed_lab_slugs(user_id)


def programme_lab_slugs(catalog: Catalog) -> list[str]:
    """Return every lab the programme asks for: the checklist's, each day's, and its exams."""
    rules = rules_of(catalog)
    found = [*rules.lab_slugs]
    found += [slug for day in catalog.days for slug in day.lab_slugs]
    found += [slug for item in rules.items if item.kind == "exam" for slug in item.lab_slugs]
    return list(dict.fromkeys(found))


def pass_labs(user_id: int, catalog: Catalog) -> None:
    """Pass every lab of the programme (a day is complete only with its labs passed)."""
    for slug in programme_lab_slugs(catalog):
        pass_lab(user_id, slug, catalog)


RECORD = {
    "timeline": "03:05 paged; 03:09 502 traced to the upstream; 03:20 certificate reissued.",
    "cause": "Nginx upstream set to a wrong port; Redis stopped; certificate expired; disk full.",
    "fix": "Upstream back to 5000 and reloaded, Redis started, certificate reissued, disk freed.",
    "follow_up": "Alert on certificate expiry at 30 days and on disk use at 80 %.",
}


def approve_exams(trainee: User, reviewer: User, catalog: Catalog) -> None:
    """Write the incident record of each passed exam attempt and have it approved."""
    from app.content.labs import labs_of
    from app.labs import exam
    from app.labs.models import LabSession

    for lab in labs_of(catalog).values():
        if not lab.is_exam:
            continue
        attempt = next(s for s in exam.attempts_of(trainee.id, lab.id) if s.completed_at)
        assert isinstance(attempt, LabSession)
        record = exam.submit_record(attempt, lab, RECORD, catalog.version)
        exam.review_record(record, reviewer, True, "")


def approved_work(trainee: User, reviewer: User, kind: AttestationKind, count: int) -> None:
    """Record and approve attested work."""
    for n in range(count):
        attestation = signoff.record_attestation(
            trainee,
            kind,
            date.today() - timedelta(days=n + 1),
            f"On-call engineer {n}" if kind == AttestationKind.SHADOW_SHIFT else f"INC-{1000 + n}",
            "Followed the runbook, checked the logs and confirmed the service recovered.",
        )
        signoff.decide_attestation(attestation.id, reviewer, True, "Well done.")


def sign(trainee: User, catalog: Catalog) -> None:
    """Sign the current acknowledgment."""
    from app.certification.certificates import checklist_for

    since = checklist_for(trainee.id, catalog).since
    signoff.sign_acknowledgment(trainee, rules_of(catalog), trainee.full_name, "192.0.2.7", since)


def satisfy_everything(trainee: User, coordinator: User, catalog: Catalog) -> None:
    """Meet every checklist item for a trainee."""
    complete_lessons(trainee.id, catalog)
    pass_day_quizzes(trainee.id, catalog)
    pass_assessment(trainee.id, catalog)
    pass_labs(trainee.id, catalog)
    approve_exams(trainee, coordinator, catalog)
    approved_work(trainee, coordinator, AttestationKind.SHADOW_SHIFT, 2)
    approved_work(trainee, coordinator, AttestationKind.INCIDENT_RESPONSE, 3)
    sign(trainee, catalog)
