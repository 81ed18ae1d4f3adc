"""Drills over time: reminders, completions, suspension and restoration, extension by drills.

`sweep` (run by the supervisor through `tasks.sweep_periodically`, or `academy drills sweep`)
computes every holder's status in bulk and acts on it, flushing only (the caller commits):

- a drill due soon: the holder is reminded once per occurrence;
- a drill overdue (past its period, inside its grace window): the holder and their cohort's
  coordinators are told once per occurrence;
- a drill done: the completion is noted once, and reported as an xAPI statement;
- `suspend_after_missed` missed occurrences (of the periods the rule counts) not caught up: the
  certificate is suspended; once none is left, it is restored. Both are audited, announced and
  reported as xAPI statements;
- every drill of the certificate's last year done on time, in its renewal window: `expires_at`
  moves `extend_months` later (at most `max_extensions` times), audited and announced.

Each notice is claimed with a conditional update on its `DrillOccurrence` row (unique per holder,
drill and period), and each certificate change with a conditional update on the certificate, so
two workers sweeping at once never send or record anything twice.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.certification import audit
from app.certification.certificates import add_months
from app.certification.checklist import RENEWAL_WINDOW_DAYS
from app.certification.links import absolute_url
from app.certification.models import AttestationKind, Certificate
from app.certification.services import SignoffError, record_attestation
from app.clock import as_utc, utcnow
from app.content import Catalog
from app.coordination.models import CohortCoordinator
from app.drills.content import Drill, DrillRules, drill_rules
from app.drills.models import DrillOccurrence
from app.drills.schedule import label, period_start
from app.drills.status import (
    DONE,
    DUE,
    OVERDUE,
    CertificateRow,
    Occurrence,
    OperatorStatus,
    load_statuses,
    status_of,
)
from app.extensions import db
from app.notifications import notify

CERTIFICATE_TITLE = "ImpactLink production operator certificate"


class DrillError(ValueError):
    """A drill operation was refused; the message is safe to show."""


@dataclass
class SweepReport:
    """What one sweep did."""

    holders: int = 0
    reminders: int = 0
    overdue_notices: int = 0
    completions: int = 0
    suspended: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    extended: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Person:
    """Who a statement or an audit event is about (the fields xAPI and audit read)."""

    id: int
    full_name: str
    email: str


Key = tuple[int, str, date]


def sweep(catalog: Catalog, now: datetime | None = None) -> SweepReport:
    """Act on every holder's drill status (see the module's docstring); flush only."""
    now = as_utc(now) if now is not None else utcnow()
    rules = drill_rules(catalog)
    report = SweepReport()
    if not rules.drills:
        return report
    statuses = load_statuses(rules, now)
    report.holders = len(statuses)
    records = _records(rules, now)
    coordinators = _Coordinators()
    for status in statuses:
        person = _Person(status.user_id, status.name, status.email)
        for line in status.lines:
            for occurrence in (line.previous, line.now):
                if occurrence is not None:
                    _act(occurrence, status, person, records, coordinators, now, report)
        _suspend_or_restore(status, rules, person, coordinators, now, report)
        _extend(status, rules, person, now, report)
    db.session.flush()
    return report


def _records(rules: DrillRules, now: datetime) -> dict[Key, tuple[Any, Any, Any]]:
    """Return what was already sent or noted for the occurrences a sweep can act on (the
    running period and the one before it, of every drill)."""
    today = now.date()
    conditions = []
    for period in sorted({d.period for d in rules.drills}):
        current = period_start(today, period)
        previous = period_start(current - timedelta(days=1), period)
        ids = [d.id for d in rules.drills if d.period == period]
        conditions.append(
            and_(DrillOccurrence.drill_id.in_(ids), DrillOccurrence.period_start >= previous)
        )
    rows = db.session.execute(
        select(
            DrillOccurrence.user_id,
            DrillOccurrence.drill_id,
            DrillOccurrence.period_start,
            DrillOccurrence.due_reminded_at,
            DrillOccurrence.overdue_notified_at,
            DrillOccurrence.completed_at,
        ).where(or_(*conditions))
    )
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


class _Coordinators:
    """The active coordinators of each cohort, read once when first needed."""

    def __init__(self) -> None:
        self._by_cohort: dict[int, list[_Person]] | None = None

    def of(self, cohort_id: int | None) -> list[_Person]:
        if cohort_id is None:
            return []
        if self._by_cohort is None:
            self._by_cohort = {}
            rows = db.session.execute(
                select(CohortCoordinator.cohort_id, User.id, User.full_name, User.email)
                .join(User, User.id == CohortCoordinator.user_id)
                .where(User.active.is_(True))
                .order_by(User.full_name)
            )
            for cohort, user_id, name, email in rows:
                self._by_cohort.setdefault(cohort, []).append(_Person(user_id, name, email))
        return self._by_cohort.get(cohort_id, [])


_COLUMNS = {"due": 0, "overdue": 1, "completed": 2}


def _claim(
    key: Key,
    certificate_id: int,
    column: str,
    now: datetime,
    records: dict[Key, tuple[Any, Any, Any]],
    **values: Any,
) -> bool:
    """Mark one notice of one occurrence as sent; False when it was already (by anyone)."""
    known = records.get(key)
    if known is not None and known[_COLUMNS[column]] is not None:
        return False
    attribute = {
        "due": "due_reminded_at",
        "overdue": "overdue_notified_at",
        "completed": "completed_at",
    }[column]
    stamp = values.pop("at", now)
    user_id, drill_id, start = key
    if known is None:
        row = DrillOccurrence(
            user_id=user_id,
            certificate_id=certificate_id,
            drill_id=drill_id,
            period_start=start,
            created_at=now,
            **{attribute: stamp},
            **values,
        )
        made = False
        # Another worker may have made the row a moment ago: then it is claimed below.
        with contextlib.suppress(IntegrityError):
            with db.session.begin_nested():  # the insert is flushed on leaving this block
                db.session.add(row)
            made = True
        if made:
            records[key] = _with(records.get(key), column, stamp)
            return True
    result = db.session.execute(
        update(DrillOccurrence)
        .where(
            DrillOccurrence.user_id == user_id,
            DrillOccurrence.drill_id == drill_id,
            DrillOccurrence.period_start == start,
            getattr(DrillOccurrence, attribute).is_(None),
        )
        .values({attribute: stamp, **values})
        .execution_options(synchronize_session=False)
    )
    records[key] = _with(records.get(key), column, stamp)
    return bool(getattr(result, "rowcount", 0) == 1)


def _with(known: tuple[Any, Any, Any] | None, column: str, stamp: datetime) -> tuple[Any, Any, Any]:
    values = list(known or (None, None, None))
    values[_COLUMNS[column]] = stamp
    return (values[0], values[1], values[2])


def _act(
    occurrence: Occurrence,
    status: OperatorStatus,
    person: _Person,
    records: dict[Key, tuple[Any, Any, Any]],
    coordinators: _Coordinators,
    now: datetime,
    report: SweepReport,
) -> None:
    drill = occurrence.drill
    key = (status.user_id, drill.id, occurrence.start)
    cert = status.certificate.id
    when = label(occurrence.start, drill.period)
    page = absolute_url("drills.mine")
    if occurrence.state == DONE and occurrence.evidence is not None:
        evidence = occurrence.evidence
        if _claim(
            key,
            cert,
            "completed",
            now,
            records,
            at=evidence.at,
            evidence_kind=evidence.kind,
            evidence_id=evidence.id,
        ):
            report.completions += 1
            _report_completion(person, drill)
    elif (
        occurrence.state == DUE
        and occurrence.pending is None
        and _claim(key, cert, "due", now, records)
    ):
        report.reminders += 1
        notify(
            person.email,
            f"Drill due by {occurrence.due - timedelta(days=1):%Y-%m-%d}: {drill.title}",
            f"Your drill {drill.title!r} for {when} is due by the end of "
            f"{occurrence.due - timedelta(days=1):%Y-%m-%d} (UTC), with "
            f"{drill.grace_days} days of grace after that. It keeps your certificate "
            f"{status.certificate.code} current.\n\nYour drills: {page}",
        )
    elif (
        occurrence.state == OVERDUE
        and occurrence.pending is None
        and _claim(key, cert, "overdue", now, records)
    ):
        report.overdue_notices += 1
        closes = occurrence.closes - timedelta(days=1)
        notify(
            person.email,
            f"Drill overdue: {drill.title}",
            f"Your drill {drill.title!r} for {when} was due on "
            f"{occurrence.due - timedelta(days=1):%Y-%m-%d}. Do it by the end of "
            f"{closes:%Y-%m-%d} (UTC) or it counts as missed.\n\nYour drills: {page}",
        )
        team = absolute_url("drills.team")
        for coordinator in coordinators.of(status.cohort_id):
            notify(
                coordinator.email,
                f"Drill overdue: {person.full_name}, {drill.title}",
                f"{person.full_name}'s drill {drill.title!r} for {when} is overdue; its "
                f"grace window ends on {closes:%Y-%m-%d}.\n\nDrills of your cohorts: {team}",
            )


def _report_completion(person: _Person, drill: Drill) -> None:
    from app.xapi import statements

    if statements.enabled():
        statements.drill_completed(person, drill.id, drill.title)


def _certificate_event(person: _Person, verb: str, code: str, reason: str = "") -> None:
    from app.xapi import statements

    if statements.enabled():
        statements.certificate_event(person, verb, code, CERTIFICATE_TITLE, reason)


def missed_summary(status: OperatorStatus, rules: DrillRules) -> str:
    """Name the missed drills that count toward suspension, e.g. for the public reason."""
    parts = []
    for line in status.lines:
        if line.missed and line.drill.period in rules.suspend_periods:
            occurrence = line.first_outstanding
            since = f" since {label(occurrence.start, line.drill.period)}" if occurrence else ""
            parts.append(f"{line.drill.title} ({line.missed} missed{since})")
    return "; ".join(parts)


def _suspend_or_restore(
    status: OperatorStatus,
    rules: DrillRules,
    person: _Person,
    coordinators: _Coordinators,
    now: datetime,
    report: SweepReport,
) -> None:
    cert = status.certificate
    threshold = rules.suspend_after_missed
    if cert.suspended_at is None and threshold and status.suspend_count >= threshold:
        reason = "Recurring drills missed: " + missed_summary(status, rules)
        changed = db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.suspended_at.is_(None))
            .values(suspended_at=now, suspension_reason=reason[:1000])
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) != 1:
            return
        report.suspended.append(cert.code)
        audit.record(
            None,
            "certificate.suspended",
            "certificate",
            cert.id,
            status.user_id,
            code=cert.code,
            reason=reason[:1000],
            missed=status.suspend_count,
        )
        _certificate_event(person, "suspended", cert.code, reason)
        mine = absolute_url("drills.mine")
        notify(
            person.email,
            f"Certificate {cert.code} suspended: drills missed",
            f"Your certificate {cert.code} is suspended because recurring drills were missed: "
            f"{missed_summary(status, rules)}. Do them now to restore it: {mine}",
        )
        for coordinator in coordinators.of(status.cohort_id):
            notify(
                coordinator.email,
                f"Certificate of {person.full_name} suspended",
                f"Certificate {cert.code} of {person.full_name} is suspended: "
                f"{missed_summary(status, rules)}.",
            )
        status.certificate = _replace_suspended(cert, now)
    elif cert.suspended_at is not None and (not threshold or status.suspend_count == 0):
        changed = db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.suspended_at.is_not(None))
            .values(suspended_at=None, suspension_reason="")
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) != 1:
            return
        report.restored.append(cert.code)
        audit.record(
            None,
            "certificate.restored",
            "certificate",
            cert.id,
            status.user_id,
            code=cert.code,
            suspended_at=cert.suspended_at.isoformat(),
        )
        _certificate_event(person, "restored", cert.code)
        notify(
            person.email,
            f"Certificate {cert.code} restored",
            f"Your drills are caught up and your certificate {cert.code} is valid again: "
            f"{absolute_url('certification.verify', code=cert.code)}",
        )
        for coordinator in coordinators.of(status.cohort_id):
            notify(
                coordinator.email,
                f"Certificate of {person.full_name} restored",
                f"{person.full_name} caught up on drills; certificate {cert.code} is valid again.",
            )
        status.certificate = _replace_suspended(cert, None)


def _replace_suspended(cert: CertificateRow, moment: datetime | None) -> CertificateRow:
    return replace(cert, suspended_at=moment)


def extension_due(status: OperatorStatus, rules: DrillRules, now: datetime) -> datetime | None:
    """Return the new expiry when drills earn the certificate an extension now, else None.

    The certificate must be valid (not suspended), inside its renewal window, extended fewer
    than `max_extensions` times, and every drill occurrence of its last `extend_months` whose
    grace window has ended must have been done on time (at least one)."""
    cert = status.certificate
    if not rules.extend_months or cert.drill_extensions >= rules.max_extensions:
        return None
    if cert.suspended_at is not None or status.outstanding:
        return None
    if now < cert.expires_at - timedelta(days=RENEWAL_WINDOW_DAYS):
        return None
    since = max(cert.issued_at, add_months(cert.expires_at, -rules.extend_months))
    judged = 0
    for line in status.lines:
        for occurrence in line.history:
            if occurrence.window.opens < since or occurrence.closes > now:
                continue
            if occurrence.state != DONE:
                return None
            judged += 1
    return add_months(cert.expires_at, rules.extend_months) if judged else None


def _extend(
    status: OperatorStatus, rules: DrillRules, person: _Person, now: datetime, report: SweepReport
) -> None:
    cert = status.certificate
    if not rules.extend_months or cert.drill_extensions >= rules.max_extensions:
        return
    if now < cert.expires_at - timedelta(days=RENEWAL_WINDOW_DAYS):
        return
    # The whole history is needed here, for the few holders inside their renewal window.
    full = status_of(rules, status.user_id, now, detail=True)
    if full is None:
        return
    new_expiry = extension_due(full, rules, now)
    if new_expiry is None:
        return
    changed = db.session.execute(
        update(Certificate)
        .where(
            Certificate.id == cert.id,
            Certificate.drill_extensions == cert.drill_extensions,
            Certificate.suspended_at.is_(None),
        )
        .values(
            expires_at=new_expiry,
            drill_extensions=cert.drill_extensions + 1,
            expiry_notified_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        return
    report.extended.append(cert.code)
    audit.record(
        None,
        "certificate.extended",
        "certificate",
        cert.id,
        status.user_id,
        code=cert.code,
        expires_at=cert.expires_at.isoformat(),
        new_expires_at=new_expiry.isoformat(),
        reason="every drill of the year done on time",
    )
    notify(
        person.email,
        f"Certificate {cert.code} extended to {new_expiry:%Y-%m-%d}",
        f"You did every drill of the year on time, so your certificate {cert.code} is now valid "
        f"until {new_expiry:%Y-%m-%d}: {absolute_url('certification.verify', code=cert.code)}",
    )


# -- what the operator's pages call ---------------------------------------------------------


def standing_for(
    catalog: Catalog, user_id: int, now: datetime | None = None
) -> OperatorStatus | None:
    """Return a holder's drills with their whole history (None without a current certificate)."""
    return status_of(drill_rules(catalog), user_id, now or utcnow(), detail=True)


def open_occurrence(status: OperatorStatus, drill_id: str) -> Occurrence | None:
    """Return the occurrence of a drill the holder can do now: the overdue one, else the
    running period's (None when both are done)."""
    line = next((ln for ln in status.lines if ln.drill.id == drill_id), None)
    if line is None:
        return None
    for occurrence in (line.previous, line.now):
        if occurrence is not None and occurrence.state != DONE:
            return occurrence
    return None


def start_quiz_drill(
    catalog: Catalog, user_id: int, drill: Drill, now: datetime | None = None
) -> Any:
    """Start (or resume) an attempt of a quiz drill, counting only this window's attempts."""
    from app.content.questions import quiz_section
    from app.quizzes import services as quizzes

    now = now or utcnow()
    status = status_of(drill_rules(catalog), user_id, now, detail=False)
    if status is None:
        raise DrillError("Drills are for holders of a current certificate.")
    if drill.kind != "quiz" or not any(line.drill.id == drill.id for line in status.lines):
        raise DrillError("This drill is not yours to take.")
    quiz = quiz_section(catalog).quizzes.get(drill.target)
    if quiz is None:
        raise DrillError("The drill's quiz is not in the programme any more.")
    line = next(ln for ln in status.lines if ln.drill.id == drill.id)
    occurrence = open_occurrence(status, drill.id) or line.now
    if occurrence is None:
        raise DrillError(f"The first {drill.title} opens on {line.next_start:%Y-%m-%d}.")
    try:
        return quizzes.start_attempt(user_id, quiz, catalog, now=now, since=occurrence.window.opens)
    except quizzes.AttemptRefused as refused:
        raise DrillError(str(refused)) from None


def record_activity(
    catalog: Catalog,
    holder: User,
    drill: Drill,
    occurred_on: date,
    counterpart: str,
    description: str,
    now: datetime | None = None,
) -> Any:
    """Record an attested activity of a drill; the holder's coordinators are asked to approve."""
    now = now or utcnow()
    if drill.kind != "activity":
        raise DrillError("This drill is not an activity to record.")
    status = status_of(drill_rules(catalog), holder.id, now)
    if status is None or not holder.has_role(Role.TRAINEE):
        raise DrillError("Drills are for holders of a current certificate.")
    if not any(line.drill.id == drill.id for line in status.lines):
        raise DrillError("This drill is not yours to record.")
    if occurred_on <= as_utc(status.certificate.issued_at).date():
        raise DrillError("Record activities from after your certificate was issued.")
    try:
        return record_attestation(
            holder,
            AttestationKind(drill.target),
            occurred_on,
            counterpart,
            description,
            today=now.date(),
        )
    except SignoffError as error:
        raise DrillError(str(error)) from None


@dataclass(frozen=True)
class PublicStanding:
    """What the public verify page and the badge say about a holder's drills."""

    state: str  # current | behind | suspended
    current: bool
    missed: int
    checked_at: datetime

    @property
    def words(self) -> str:
        """Return the standing in a sentence."""
        if self.state == "suspended":
            return "Suspended until the missed recurring drills are caught up"
        if self.missed:
            return f"Behind on recurring drills ({self.missed} missed, not yet caught up)"
        return "Current on recurring drills"


def public_standing(
    catalog: Catalog, certificate: Certificate, now: datetime | None = None
) -> PublicStanding | None:
    """Return the drill standing of a certificate's holder, when this certificate is their
    current one and the programme has drills (None otherwise)."""
    now = now or utcnow()
    rules = drill_rules(catalog)
    if not rules.drills:
        return None
    status = status_of(rules, certificate.user_id, now)
    if status is None or status.certificate.id != certificate.id:
        return None
    if status.certificate.suspended_at is not None:
        state = "suspended"
    else:
        state = "behind" if status.outstanding else "current"
    return PublicStanding(state, status.current_on_drills, status.outstanding, now)
