"""Fixtures for drills: holders with certificates issued at chosen moments, and evidence of
drills done at chosen moments (lab sessions that completed every task, passed quiz attempts,
attested activities), so that each test moves through time with explicit `now` values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.auth.models import User
from app.certification.certificates import add_months, new_code
from app.certification.models import Attestation, Certificate
from app.content import Catalog
from app.drills.content import DrillRules, drill_rules
from app.extensions import db
from tests.certification.conftest import catalog, outbox, team  # noqa: F401

# A fixed clock: every test passes `now` explicitly, relative to these moments.
ISSUED = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    """Return a UTC moment from 'YYYY-MM-DD HH:MM' (or a date)."""
    if len(text) == 10:
        text += " 12:00"
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


@pytest.fixture
def rules(catalog: Catalog) -> DrillRules:  # noqa: F811
    """The programme's drills, as content declares them."""
    return drill_rules(catalog)


@pytest.fixture
def certify(session: Any, catalog: Catalog) -> Callable[..., Certificate]:  # noqa: F811
    """Issue a certificate to a user at a given moment (as the sign-off would have)."""

    def issue(user: User, issued: datetime = ISSUED, months: int = 12) -> Certificate:
        certificate = Certificate(
            code=new_code(),
            user_id=user.id,
            cycle=1,
            recipient_name=user.full_name,
            programme_id=catalog.programme.id,
            programme_title=catalog.programme.title,
            content_version=catalog.version,
            issued_at=issued,
            expires_at=add_months(issued, months),
            signed_off_by="Cora Coordinator",
            badge_salt="salt",
            evidence={},
            revocation_reason="",
        )
        db.session.add(certificate)
        session.commit()
        return certificate

    return issue


@pytest.fixture
def lab_done(
    session: Any,
    catalog: Catalog,  # noqa: F811
) -> Callable[[User, str, datetime], int]:
    """Record a lab session of a user that completed every task at a moment."""
    from app.labs.models import LabSession

    def record(user: User, slug: str, moment: datetime) -> int:
        row = LabSession(
            user_id=user.id,
            lab_slug=slug,
            seed=7,
            values={},
            answers={},
            status="finished",
            content_version=catalog.version,
            progress="",
            progress_percent=100,
            started_at=moment,
            ready_at=moment,
            expires_at=moment,
            completed_at=moment,
            finished_at=moment,
        )
        db.session.add(row)
        session.commit()
        return int(row.id)

    return record


@pytest.fixture
def activity_done(session: Any) -> Callable[..., int]:
    """Record an attested activity of a user, approved (or as given)."""

    def record(user: User, kind: str, on: date, status: str = "approved") -> int:
        row = Attestation(
            user_id=user.id,
            kind=kind,
            occurred_on=on,
            counterpart="Team lead",
            description="Attended the whole session and worked through its exercises.",
            status=status,
            review_comment="",
        )
        db.session.add(row)
        session.commit()
        return int(row.id)

    return record


def line_of(status: Any, drill_id: str) -> Any:
    """Return a holder's line for a drill."""
    return next(line for line in status.lines if line.drill.id == drill_id)
