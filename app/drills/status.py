"""Drill status of certificate holders, computed in bulk from the evidence.

`load_statuses` reads, with a fixed number of queries whatever the number of holders, the newest
certificate of each holder (not revoked, not expired), their cohort, and the evidence that can
satisfy a drill: lab sessions that completed every task, passed quiz attempts and attested
activities (approved, or pending approval). `judge` then walks each drill's occurrences (see
`schedule`) in order and gives each the earliest completion inside its window (start of the
period to the end of its grace), each completion used once:

- `done`: a completion in the window;
- `open` / `due`: the period runs and nothing is done yet (`due` within `remind_days_before` of
  the end of the period);
- `overdue`: the period ended, the grace window runs;
- `missed`: the grace window ended with nothing done; `caught_up` once the drill is done again
  later (any later completion catches up every earlier missed occurrence of that drill).

A holder is *current* on drills when no missed occurrence is left to catch up.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, Text, and_, cast, extract, func, literal, select

from app.auth.models import User
from app.certification.models import Attestation, AttestationStatus, Certificate
from app.clock import as_utc
from app.coordination.models import Cohort, CohortMember
from app.coordination.progress import installed
from app.drills.content import Drill, DrillRules
from app.drills.schedule import Window, calendar, first_after, first_start, midnight
from app.extensions import db

# Occurrence states, from the best to the worst.
DONE = "done"
UPCOMING = "upcoming"
OPEN = "open"
DUE = "due"
OVERDUE = "overdue"
CAUGHT_UP = "caught_up"
MISSED = "missed"
STATE_WORDS = {
    DONE: "done",
    UPCOMING: "upcoming",
    OPEN: "open",
    DUE: "due soon",
    OVERDUE: "overdue",
    CAUGHT_UP: "missed, caught up",
    MISSED: "missed",
}
# A holder's standing, from the best to the worst.
CURRENT = "current"
STANDING_DUE = "due"
STANDING_OVERDUE = "overdue"
BEHIND = "behind"
SUSPENDED = "suspended"
STANDINGS = (CURRENT, STANDING_DUE, STANDING_OVERDUE, BEHIND, SUSPENDED)
STANDING_WORDS = {
    CURRENT: "current",
    STANDING_DUE: "drill due",
    STANDING_OVERDUE: "drill overdue",
    BEHIND: "behind",
    SUSPENDED: "suspended",
}


class Evidence(NamedTuple):
    """What satisfied (or may satisfy) a drill: a lab session, a quiz attempt, an attestation.

    A named tuple holding the moment as a POSIX timestamp: tens of thousands are made for a
    large view, and the datetime is built only when a page shows it."""

    kind: str  # lab | quiz | activity
    id: int
    ts: float

    @property
    def at(self) -> datetime:
        """Return the moment of the evidence."""
        return datetime.fromtimestamp(self.ts, UTC)


@dataclass(slots=True)
class Occurrence:
    """One period of one drill for one holder."""

    drill: Drill
    window: Window
    state: str
    # The completion that satisfied it as (POSIX timestamp, row id): see `evidence`.
    done_by: tuple[float, int] | None = None
    # An attested activity recorded in the window and waiting for a coordinator's approval.
    pending: Evidence | None = None

    @property
    def evidence(self) -> Evidence | None:
        """Return the completion that satisfied the occurrence (made only when asked for)."""
        return _evidence(self.drill.kind, self.done_by) if self.done_by is not None else None

    @property
    def closes(self) -> datetime:
        """Return the moment the grace window ends."""
        return self.window.due + timedelta(days=self.drill.grace_days)

    @property
    def start(self) -> date:
        """Return the first day of the period."""
        return self.window.start

    @property
    def due(self) -> datetime:
        """Return the moment the period ends."""
        return self.window.due

    @property
    def due_on(self) -> date:
        """Return the last day of the period (the occurrence is due by its end)."""
        return (self.window.due - timedelta(days=1)).date()

    @property
    def closes_on(self) -> date:
        """Return the last day of the grace window."""
        return (self.closes - timedelta(days=1)).date()

    @property
    def outstanding(self) -> bool:
        """Tell whether the occurrence was missed and not caught up."""
        return self.state == MISSED


@dataclass(slots=True)
class DrillLine:
    """One drill for one holder: the occurrence that matters now and what is owed."""

    drill: Drill
    # The occurrence to act on now (overdue, else the running period), None before the first.
    now: Occurrence | None
    # The previous occurrence when it is still in its grace window or done in it.
    previous: Occurrence | None
    next_start: date | None
    missed: int  # missed and not caught up
    missed_ever: int  # missed, caught up or not
    done: int
    # The newest completion as (POSIX timestamp, row id): made an Evidence only when shown.
    last: tuple[float, int] | None
    first_outstanding: Occurrence | None
    # Every occurrence, oldest first (only when asked for: one holder's page).
    history: list[Occurrence] = field(default_factory=list)

    @property
    def state(self) -> str:
        """Return the line's state: missed, else the state of the occurrence that matters now."""
        if self.missed:
            return MISSED
        if self.previous is not None and self.previous.state == OVERDUE:
            return OVERDUE
        if self.now is None:
            return UPCOMING
        return self.now.state

    @property
    def last_done(self) -> Evidence | None:
        """Return the newest completion of the drill."""
        return _evidence(self.drill.kind, self.last) if self.last is not None else None

    @property
    def evidence(self) -> Evidence | None:
        """Return the newest completion of the drill."""
        return self.last_done


@dataclass(frozen=True, slots=True)
class CertificateRow:
    """The fields of a holder's newest certificate that drills read."""

    id: int
    code: str
    issued_at: datetime
    expires_at: datetime
    suspended_at: datetime | None
    drill_extensions: int


@dataclass(slots=True)
class OperatorStatus:
    """A certificate holder's drills and standing."""

    user_id: int
    name: str
    email: str
    cohort_id: int | None
    cohort_name: str | None
    certificate: CertificateRow
    lines: list[DrillLine] = field(default_factory=list)
    standing: str = CURRENT
    outstanding: int = 0
    # Outstanding occurrences of the periods the suspension rule counts.
    suspend_count: int = 0

    @property
    def current_on_drills(self) -> bool:
        """Tell whether nothing missed is left to catch up (and the certificate is not
        suspended)."""
        return self.outstanding == 0 and self.certificate.suspended_at is None

    @property
    def standing_words(self) -> str:
        """Return the standing in words."""
        return STANDING_WORDS[self.standing]


@dataclass
class Evidences:
    """Completions per holder and drill as (POSIX timestamp, row id), oldest first, and
    pending activities the same way."""

    done: dict[tuple[int, str], list[tuple[float, int]]] = field(default_factory=dict)
    pending: dict[tuple[int, str], list[tuple[float, int]]] = field(default_factory=dict)


def _evidence(kind: str, found: tuple[float, int]) -> Evidence:
    return Evidence(kind, found[1], found[0])


def judge(
    drill: Drill,
    issued_at: datetime,
    completions: list[tuple[float, int]],
    pending: list[tuple[float, int]],
    now: datetime,
    remind: timedelta,
    *,
    detail: bool = False,
    first: date | None = None,
) -> DrillLine:
    """Walk a drill's occurrences for one holder (see the module's docstring).

    `completions` and `pending` are (POSIX timestamp, row id), oldest first: a large view
    judges tens of thousands, so moments stay numbers until an occurrence is kept. `first` is
    the start of the first occurrence when the caller already knows it."""
    if first is None:
        first = first_start(issued_at, drill.period)
    table = calendar(drill.period, first, now.date())
    periods = table.periods
    grace = drill.grace_days * 86400.0
    now_ts = now.timestamp()
    count = len(completions)
    moments = [c[0] for c in completions] if count else []
    j = 0
    missed = missed_ever = done = 0
    first_outstanding: Occurrence | None = None
    history: list[Occurrence] = []
    latest: Occurrence | None = None
    previous: Occurrence | None = None
    last_index = len(periods) - 1
    # Every period before the last two has closed (a grace window is shorter than a period):
    # without a page to fill, those only need counting, in a tight loop.
    fast = 0 if detail else max(0, last_index - 1)
    if fast:
        # Walk the completions rather than the periods (a holder has far fewer): each takes
        # the first closed period still open to it, found by bisecting the periods' due
        # moments; the periods passed over were missed and, closing before this completion,
        # caught up by it. The periods left after the last completion are missed and owed.
        dues = table.dues
        opens = table.opens
        index = 0
        while j < count and index < fast:
            moment = moments[j]
            passed = bisect_right(dues, moment - grace, index, fast)
            missed_ever += passed - index
            index = passed
            if index >= fast:
                break
            if moment >= opens[index]:
                done += 1
                index += 1
            j += 1
        if index < fast:
            missed_ever += fast - index
            missed += fast - index
            first_outstanding = Occurrence(drill, periods[index], MISSED)
    last_at = moments[-1] if count else -1.0
    for index in range(fast, last_index + 1):
        window = periods[index]
        closes = window.due_ts + grace
        opens_at = window.opens_ts
        while j < count and moments[j] < opens_at:
            j += 1
        used = -1
        if j < count and moments[j] < closes:
            state = DONE
            used = j
            j += 1
            done += 1
        elif now_ts < window.due_ts:
            state = DUE if now_ts >= window.due_ts - remind.total_seconds() else OPEN
        elif now_ts < closes:
            state = OVERDUE
        else:
            missed_ever += 1
            if last_at >= closes:
                state = CAUGHT_UP
                used = bisect_left(moments, closes)
            else:
                state = MISSED
                missed += 1
        if index == last_index - 1 and not detail and state not in (OVERDUE, DONE, MISSED):
            continue  # the previous period matters only overdue, done or outstanding
        occurrence = Occurrence(drill, window, state, completions[used] if used >= 0 else None)
        if pending and state != DONE:
            waiting = next((p for p in pending if opens_at <= p[0] < closes), None)
            if waiting is not None:
                occurrence.pending = _evidence(drill.kind, waiting)
        if state == MISSED and first_outstanding is None:
            first_outstanding = occurrence
        if detail:
            history.append(occurrence)
        if index == last_index:
            latest = occurrence
        elif index == last_index - 1:
            previous = occurrence
    if previous is not None and previous.state not in (OVERDUE, DONE):
        previous = None
    return DrillLine(
        drill=drill,
        now=latest,
        previous=previous,
        next_start=table.following,
        missed=missed,
        missed_ever=missed_ever,
        done=done,
        last=completions[-1] if count else None,
        first_outstanding=first_outstanding,
        history=history,
    )


def standing_of(status: OperatorStatus, rules: DrillRules) -> None:
    """Fill in a holder's outstanding count and standing from their drill lines."""
    outstanding = suspend_count = 0
    for line in status.lines:
        if line.missed:
            outstanding += line.missed
            if line.drill.period in rules.suspend_periods:
                suspend_count += line.missed
    status.outstanding = outstanding
    status.suspend_count = suspend_count
    states = {line.state for line in status.lines}
    if status.certificate.suspended_at is not None:
        status.standing = SUSPENDED
    elif status.outstanding:
        status.standing = BEHIND
    elif OVERDUE in states:
        status.standing = STANDING_OVERDUE
    elif DUE in states:
        status.standing = STANDING_DUE
    else:
        status.standing = CURRENT


def holders_query(
    now: datetime, cohort_ids: list[int] | None = None, user_id: int | None = None
) -> Any:
    """Return the newest certificate of every holder (not revoked, not expired), with the
    holder's name, address and cohort; limited to some cohorts when given."""
    newest = (
        select(Certificate.user_id, func.max(Certificate.cycle).label("cycle"))
        .group_by(Certificate.user_id)
        .subquery()
    )
    query = (
        select(
            Certificate.user_id,
            Certificate.id,
            Certificate.code,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.suspended_at,
            Certificate.drill_extensions,
            User.full_name,
            User.email,
            Cohort.id,
            Cohort.name,
        )
        .join(
            newest,
            and_(newest.c.user_id == Certificate.user_id, newest.c.cycle == Certificate.cycle),
        )
        .join(User, User.id == Certificate.user_id)
        .outerjoin(CohortMember, CohortMember.user_id == Certificate.user_id)
        .outerjoin(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at > now,
            User.active.is_(True),
        )
        .order_by(User.full_name, User.id)
    )
    if cohort_ids is not None:
        query = query.where(CohortMember.cohort_id.in_(cohort_ids))
    if user_id is not None:
        query = query.where(Certificate.user_id == user_id)
    return query


def _users(cohort_ids: list[int] | None, user_id: int | None) -> Any:
    """Return the condition on an evidence table's user_id that narrows it to the holders read
    (None: every user, when every holder is read)."""
    if user_id is not None:
        return user_id
    if cohort_ids is not None:
        return select(CohortMember.user_id).where(CohortMember.cohort_id.in_(cohort_ids))
    return None


def epoch(column: Any) -> Any:
    """Return a SQL expression of a timestamp column as POSIX seconds (a float), so that tens
    of thousands of moments come back as numbers rather than parsed datetimes."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(extract("epoch", column), Float)
    # SQLite keeps UTC timestamps as text; julianday() reads them, fractions of seconds too.
    return (func.julianday(column) - 2440587.5) * 86400.0


def concatenated(column: Any) -> Any:
    """Return an aggregate of a numeric column as comma-separated text: tens of thousands of
    completions come back as one row per holder and target, split into numbers in C, rather
    than as a row each. The order does not matter (the caller sorts)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(cast(column, Text), literal(","))
    return func.group_concat(column, ",")


def _completions(moments: str, row_ids: str, since: float) -> list[tuple[float, int]]:
    """Return comma-separated moments and row ids (see `concatenated`) as (moment, id) pairs
    from `since` on, oldest first."""
    entries = sorted(zip(map(float, moments.split(",")), map(int, row_ids.split(",")), strict=True))
    if entries[0][0] >= since:
        return entries
    return [entry for entry in entries if entry[0] >= since]


def load_evidence(
    rules: DrillRules,
    issued: dict[int, datetime],
    cohort_ids: list[int] | None = None,
    user_id: int | None = None,
) -> Evidences:
    """Read every completion since each holder's certificate (`issued`: holder -> issue
    moment), one query per kind of evidence, each narrowed by an indexed subquery of the
    cohorts' members and the earliest issue; rows from before a holder's own issue are dropped
    here."""
    found = Evidences()
    if not issued:
        return found
    users = _users(cohort_ids, user_id)
    since = min(issued.values())
    starts = {holder: moment.timestamp() for holder, moment in issued.items()}
    by_target: dict[tuple[str, str], list[str]] = {}
    for drill in rules.drills:
        by_target.setdefault((drill.kind, drill.target), []).append(drill.id)

    def narrowed(query: Any, column: Any) -> Any:
        if users is None:
            return query
        if isinstance(users, int):
            return query.where(column == users)
        return query.where(column.in_(users))

    def add_grouped(kind: str, query: Any) -> None:
        """Sort rows of (holder, target, moments, ids), one per holder and target with its
        completions as comma-separated text (see `concatenated`), into each drill's list."""
        targets = {target: ids for (k, target), ids in by_target.items() if k == kind}
        for holder, target, moments, row_ids in db.session.connection().execute(query).all():
            start = starts.get(holder)
            drill_ids = targets.get(target)
            if start is None or not drill_ids or not moments:
                continue
            entries = _completions(moments, row_ids, start)
            for drill_id in drill_ids:
                found.done[(holder, drill_id)] = list(entries)

    labs = sorted({d.target for d in rules.drills if d.kind == "lab"})
    if labs and installed("labs"):
        from app.labs.models import LabSession

        query = (
            select(
                LabSession.user_id,
                LabSession.lab_slug,
                concatenated(epoch(LabSession.completed_at)),
                concatenated(LabSession.id),
            )
            .where(LabSession.lab_slug.in_(labs), LabSession.completed_at >= since)
            .group_by(LabSession.user_id, LabSession.lab_slug)
        )
        add_grouped("lab", narrowed(query, LabSession.user_id))
    quizzes = sorted({d.target for d in rules.drills if d.kind == "quiz"})
    if quizzes and installed("quizzes"):
        from app.quizzes.models import QuizAttempt

        query = (
            select(
                QuizAttempt.user_id,
                QuizAttempt.quiz_id,
                concatenated(epoch(QuizAttempt.submitted_at)),
                concatenated(QuizAttempt.id),
            )
            .where(
                QuizAttempt.quiz_id.in_(quizzes),
                QuizAttempt.passed.is_(True),
                QuizAttempt.submitted_at >= since,
            )
            .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id)
        )
        add_grouped("quiz", narrowed(query, QuizAttempt.user_id))
    activities = sorted({d.target for d in rules.drills if d.kind == "activity"})
    if activities:
        # One row per holder, kind and status: the days as midnights (POSIX), the ids alike.
        query = (
            select(
                Attestation.user_id,
                Attestation.kind,
                Attestation.status,
                concatenated(epoch(Attestation.occurred_on)),
                concatenated(Attestation.id),
            )
            .where(
                Attestation.kind.in_(activities),
                Attestation.status.in_(
                    [AttestationStatus.APPROVED.value, AttestationStatus.PENDING.value]
                ),
                Attestation.occurred_on >= since.date(),
            )
            .group_by(Attestation.user_id, Attestation.kind, Attestation.status)
        )
        targets = {t: ids for (k, t), ids in by_target.items() if k == "activity"}
        approved = AttestationStatus.APPROVED.value
        for holder, kind, status, days, row_ids in (
            db.session.connection().execute(narrowed(query, Attestation.user_id)).all()
        ):
            drill_ids = targets.get(kind)
            if holder not in issued or not drill_ids or not days:
                continue
            # Drills start the period after the day of issue: an activity on the issue day or
            # before never counts.
            after = midnight(issued[holder].date()).timestamp() + 86400.0
            entries = _completions(days, row_ids, after)
            # One row per holder, kind and status, and a drill has one kind: one list per key.
            into = found.done if status == approved else found.pending
            for drill_id in drill_ids:
                into[(holder, drill_id)] = list(entries)
    return found


def load_statuses(
    rules: DrillRules,
    now: datetime,
    cohort_ids: list[int] | None = None,
    *,
    user_id: int | None = None,
    detail: bool = False,
) -> list[OperatorStatus]:
    """Return the drill status of every holder (of some cohorts, or one holder), in bulk."""
    with _cycle_collection_paused():
        return _load_statuses(rules, now, cohort_ids, user_id, detail)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Keep Python's cycle collector from running while the statuses are built.

    A large view makes some hundred thousand short-lived objects (completions, occurrences,
    lines), none of them in a reference cycle, so reference counting frees them all; yet their
    number alone sets off the collector, and a full collection walks every object of the
    process (the catalog, the ORM, the templates): measured at 40-100 ms of a 1,000-holder
    view. Whoever finds the collector on turns it back on, also when another thread paused it
    meanwhile."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _load_statuses(
    rules: DrillRules,
    now: datetime,
    cohort_ids: list[int] | None,
    user_id: int | None,
    detail: bool,
) -> list[OperatorStatus]:
    holders = db.session.execute(holders_query(now, cohort_ids, user_id)).all()
    if not holders:
        return []
    evidence = load_evidence(
        rules, {row[0]: as_utc(row[3]) for row in holders}, cohort_ids, user_id
    )
    remind = timedelta(days=rules.remind_days_before)
    done, pending = evidence.done, evidence.pending
    owed: dict[str | None, list[Drill]] = {}
    out = []
    for row in holders:
        (holder_id, cert_id, code, issued, expires, suspended, extensions) = row[:7]
        name, email, cohort_id, cohort_name = row[7:]
        certificate = CertificateRow(
            cert_id,
            code,
            as_utc(issued),
            as_utc(expires),
            as_utc(suspended) if suspended is not None else None,
            extensions or 0,
        )
        status = OperatorStatus(holder_id, name, email, cohort_id, cohort_name, certificate)
        drills = owed.get(cohort_name)
        if drills is None:
            drills = owed[cohort_name] = [d for d in rules.drills if d.applies_to(cohort_name)]
        issued_day = certificate.issued_at.date()
        firsts: dict[str, date] = {}
        for drill in drills:
            first = firsts.get(drill.period)
            if first is None:
                first = firsts[drill.period] = first_after(issued_day, drill.period)
            key = (holder_id, drill.id)
            status.lines.append(
                judge(
                    drill,
                    certificate.issued_at,
                    done.get(key, []),
                    pending.get(key, []),
                    now,
                    remind,
                    detail=detail,
                    first=first,
                )
            )
        standing_of(status, rules)
        out.append(status)
    return out


def status_of(
    rules: DrillRules, user_id: int, now: datetime, *, detail: bool = False
) -> OperatorStatus | None:
    """Return one holder's drill status (None without a current certificate)."""
    found = load_statuses(rules, now, user_id=user_id, detail=detail)
    return found[0] if found else None
