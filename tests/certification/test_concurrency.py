"""Concurrent sign-offs on real PostgreSQL: never two certificates, never one missing an item."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.auth.services import create_user
from app.certification import certificates as issuing
from app.certification import services as signoff
from app.certification.models import Attestation, AttestationKind, Certificate
from app.certification.services import SignoffError
from app.content import get_catalog
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from tests.certification.conftest import (
    approve_exams,
    approved_work,
    complete_lessons,
    pass_assessment,
    pass_day_quizzes,
    pass_labs,
    satisfy_everything,
    sign,
)
from tests.conftest import PASSWORD

THREADS = 8


@pytest.fixture(scope="module")
def race_app(pg_server) -> Iterator[Flask]:
    """An app on its own database, where every thread sees only committed data."""
    from tests.browser import build_app

    application = build_app(pg_server.create_database("academy_signoff_race"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _people(app: Flask, tag: str) -> tuple[int, int]:
    """Create a coordinator and a trainee in a fresh cohort; return their ids."""
    with app.app_context():
        coordinator = create_user(
            f"coord-{tag}@race.test", f"Coordinator {tag}", PASSWORD, Role.COORDINATOR
        )
        trainee = create_user(f"trainee-{tag}@race.test", f"Trainee {tag}", PASSWORD, Role.TRAINEE)
        cohort = create_cohort(f"Race {tag}", date.today() - timedelta(days=14), [coordinator.id])
        add_member(cohort.id, trainee.id)
        db.session.commit()
        return coordinator.id, trainee.id


def _in_threads(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run jobs at the same moment, each in its own app context and transaction."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                outcomes[index] = job()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _issue(coordinator_id: int, trainee_id: int) -> Callable[[], Any]:
    def job() -> Any:
        signer = db.session.get(User, coordinator_id)
        return issuing.issue_certificate(trainee_id, signer, get_catalog()).code

    return job


def _certificates(app: Flask, trainee_id: int) -> list[Certificate]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(Certificate).where(Certificate.user_id == trainee_id))
        )
        db.session.expunge_all()
        return rows


def test_concurrent_sign_offs_issue_exactly_one_certificate(race_app):
    coordinator_id, trainee_id = _people(race_app, "one")
    with race_app.app_context():
        satisfy_everything(
            db.session.get(User, trainee_id), db.session.get(User, coordinator_id), get_catalog()
        )
        db.session.commit()
    outcomes = _in_threads(race_app, [_issue(coordinator_id, trainee_id) for _ in range(THREADS)])
    codes = [o for o in outcomes if isinstance(o, str)]
    refusals = [o for o in outcomes if isinstance(o, SignoffError)]
    assert len(codes) == 1, outcomes
    assert len(refusals) == THREADS - 1, outcomes
    assert [c.code for c in _certificates(race_app, trainee_id)] == codes


def test_concurrent_sign_offs_with_an_item_missing_issue_nothing(race_app):
    coordinator_id, trainee_id = _people(race_app, "missing")
    with race_app.app_context():
        catalog = get_catalog()
        trainee, coordinator = (
            db.session.get(User, trainee_id),
            db.session.get(User, coordinator_id),
        )
        complete_lessons(trainee_id, catalog)
        pass_day_quizzes(trainee_id, catalog)
        pass_assessment(trainee_id, catalog)
        pass_labs(trainee_id, catalog)
        approve_exams(trainee, coordinator, catalog)
        approved_work(trainee, coordinator, AttestationKind.SHADOW_SHIFT, 2)
        approved_work(trainee, coordinator, AttestationKind.INCIDENT_RESPONSE, 3)
        db.session.commit()  # everything but the acknowledgment
    outcomes = _in_threads(race_app, [_issue(coordinator_id, trainee_id) for _ in range(THREADS)])
    assert all(isinstance(o, SignoffError) and "acknowledgment" in str(o) for o in outcomes), (
        outcomes
    )
    assert _certificates(race_app, trainee_id) == []


def test_a_sign_off_racing_the_last_approval_never_issues_with_it_missing(race_app):
    coordinator_id, trainee_id = _people(race_app, "racing")
    with race_app.app_context():
        catalog = get_catalog()
        trainee, coordinator = (
            db.session.get(User, trainee_id),
            db.session.get(User, coordinator_id),
        )
        complete_lessons(trainee_id, catalog)
        pass_day_quizzes(trainee_id, catalog)
        pass_assessment(trainee_id, catalog)
        pass_labs(trainee_id, catalog)
        approve_exams(trainee, coordinator, catalog)
        approved_work(trainee, coordinator, AttestationKind.SHADOW_SHIFT, 2)
        approved_work(trainee, coordinator, AttestationKind.INCIDENT_RESPONSE, 2)
        last = signoff.record_attestation(
            trainee,
            AttestationKind.INCIDENT_RESPONSE,
            date.today(),
            "INC-9",
            "Took the lead on the 502.",
        )
        sign(trainee, catalog)
        db.session.commit()
        last_id = last.id

    def approve() -> Any:
        return signoff.decide_attestation(
            last_id, db.session.get(User, coordinator_id), True, ""
        ).status

    jobs = [approve] + [_issue(coordinator_id, trainee_id) for _ in range(THREADS - 1)]
    outcomes = _in_threads(race_app, jobs)
    assert outcomes[0] == "approved", outcomes
    issued = _certificates(race_app, trainee_id)
    assert len(issued) <= 1
    for certificate in issued:
        items = {item["id"]: item for item in certificate.evidence["items"]}
        assert items["incident-responses"]["done"] == 3
    with race_app.app_context():
        approved_at = db.session.get(Attestation, last_id).reviewed_at
        assert approved_at is not None
        issued_count = db.session.scalar(
            select(func.count(Certificate.id)).where(Certificate.user_id == trainee_id)
        )
    assert issued_count == len(issued)
    # Whatever the order, one more sign-off now issues it (or finds it issued).
    outcome = _in_threads(race_app, [_issue(coordinator_id, trainee_id)])[0]
    assert len(_certificates(race_app, trainee_id)) == 1, outcome
