"""The practical exam: a lab with `exam:` rules (app/content/labs.py, ExamRules).

An exam attempt is a lab session of an exam lab; every one is kept as evidence. The rules, all
enforced here on the server and called from app.labs.services:

- no hints (the content loader refuses an exam task with hints) and no failure detail: a check's
  message and hints are moved to its coordinator-only detail before the run is stored
  (`exam_results`), so the trainee sees pass or fail per check and task, nothing more;
- the attempt ends at its time limit: no extension, no check or answer asked for after the
  deadline, and a run asked for after it passes nothing (`past_deadline`);
- at most `attempts` attempts, the next only `cooldown_hours` after the previous one ended, none
  after a pass (`start_refusal`); an attempt whose sandbox failed before the trainee got it does
  not count;
- an incident record (timeline, cause, fix, follow-up) per attempt, written by the trainee once the
  attempt is over or passed, approved or returned with a comment by a coordinator of the
  trainee's cohort (`submit_record`, `review_record`).

The sign-off item of kind `exam` is met by a passed attempt whose record is approved
(`exam_state`, `exam_states_of` for a whole cohort).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from app.clock import as_utc, utcnow
from app.content.labs import Lab
from app.extensions import db
from app.labs.models import ExamRecord, LabSession, RecordStatus, SessionStatus

# A trainee's standing on one exam, best first; the sign-off item is met only by "approved".
APPROVED = "approved"
SUBMITTED = "submitted"  # passed; the record waits for a coordinator
RETURNED = "returned"  # passed; the record was returned with a comment
PASSED = "passed"  # passed; no record yet
TRIED = "tried"  # attempts made, none passed
EXAM_STATES = (APPROVED, SUBMITTED, RETURNED, PASSED, TRIED, "")
RECORD_FIELDS = ("timeline", "cause", "fix", "follow_up")
RECORD_MAX = 10_000


class ExamError(ValueError):
    """An exam action was refused; the message is safe to show."""


def counted(session: LabSession) -> bool:
    """Tell whether a session used an attempt (one that failed before it was ready did not)."""
    return not (session.status == SessionStatus.FAILED.value and session.ready_at is None)


def attempts_of(user_id: int, slug: str) -> list[LabSession]:
    """Return the user's attempts at an exam that count, oldest first."""
    sessions = db.session.scalars(
        select(LabSession)
        .where(LabSession.user_id == user_id, LabSession.lab_slug == slug)
        .order_by(LabSession.id)
    )
    return [s for s in sessions if counted(s)]


def attempt_passed(session: LabSession) -> bool:
    """Tell whether an attempt passed every task (record_results only completes one in time)."""
    return session.completed_at is not None


def attempt_ended_at(session: LabSession) -> datetime:
    """Return when an attempt ended (or will end at the latest: its deadline)."""
    deadline = as_utc(session.expires_at)
    if session.finished_at is not None:
        return min(as_utc(session.finished_at), deadline)
    return deadline


def past_deadline(session: LabSession, now: datetime | None = None) -> bool:
    """Tell whether an attempt's time is up."""
    return (now or utcnow()) >= as_utc(session.expires_at)


def attempt_over(session: LabSession, now: datetime | None = None) -> bool:
    """Tell whether an attempt is over: ended, or its time is up."""
    return not session.is_open or past_deadline(session, now)


@dataclass(frozen=True)
class Standing:
    """What a trainee may do next on an exam: the attempts used, left, and when the next opens."""

    used: int
    allowed: int
    passed: bool
    next_at: datetime | None  # when a new attempt may start (None: now, or never)
    refusal: str  # why a new attempt may not start now ("" when it may)

    @property
    def left(self) -> int:
        """Return the attempts not used yet."""
        return max(0, self.allowed - self.used)


def standing(user_id: int, lab: Lab, now: datetime | None = None) -> Standing:
    """Return the trainee's standing on an exam lab."""
    assert lab.exam is not None
    now = now or utcnow()
    attempts = attempts_of(user_id, lab.id)
    allowed = lab.exam.attempts
    passed = any(attempt_passed(s) for s in attempts)
    if passed:
        return Standing(len(attempts), allowed, True, None, "You have passed this exam.")
    if any(s.is_open for s in attempts):
        return Standing(len(attempts), allowed, False, None, "")
    if len(attempts) >= allowed:
        return Standing(
            len(attempts),
            allowed,
            False,
            None,
            f"You have used all {allowed} attempts of this exam; talk to your coordinator.",
        )
    if attempts:
        opens = attempt_ended_at(attempts[-1]) + timedelta(hours=lab.exam.cooldown_hours)
        if now < opens:
            return Standing(
                len(attempts),
                allowed,
                False,
                opens,
                f"Your next attempt opens at {opens:%Y-%m-%d %H:%M} UTC "
                f"({lab.exam.cooldown_hours} hours after the previous one ended).",
            )
    return Standing(len(attempts), allowed, False, None, "")


def start_refusal(user_id: int, lab: Lab, now: datetime | None = None) -> str:
    """Return why a new attempt may not start now, or "" when it may."""
    return standing(user_id, lab, now).refusal


def exam_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Strip what would help from an exam run's results: the trainee sees only pass or fail.

    The message and hints go into the coordinator-only detail, so the evidence keeps them.
    """
    stripped = []
    for result in results:
        result = dict(result)
        said = [str(result.get("message") or "")] + [str(h) for h in result.get("hints") or []]
        said = [text for text in said if text]
        if said:
            detail = str(result.get("detail") or "")
            result["detail"] = " | ".join(said + ([detail] if detail else []))
        result["message"] = ""
        result["hints"] = []
        stripped.append(result)
    return stripped


def record_of(session_id: int) -> ExamRecord | None:
    """Return the incident record of an attempt, if written."""
    return db.session.scalar(select(ExamRecord).where(ExamRecord.session_id == session_id))


def records_of(user_id: int) -> dict[int, ExamRecord]:
    """Return the user's incident records keyed by session id."""
    rows = db.session.scalars(select(ExamRecord).where(ExamRecord.user_id == user_id))
    return {row.session_id: row for row in rows}


def record_refusal(session: LabSession, lab: Lab, now: datetime | None = None) -> str:
    """Return why the trainee may not write the attempt's record now, or ""."""
    if lab.exam is None or not lab.exam.record:
        return "This lab takes no incident record."
    if session.status == SessionStatus.FAILED.value and session.ready_at is None:
        return "This attempt never started."
    if not (attempt_over(session, now) or attempt_passed(session)):
        return "Write the incident record when the attempt is over: every task passed, or time up."
    found = record_of(session.id)
    if found is not None and found.status == RecordStatus.APPROVED.value:
        return "This record was approved and can no longer change."
    return ""


def submit_record(
    session: LabSession,
    lab: Lab,
    fields: dict[str, str],
    content_version: str,
    now: datetime | None = None,
) -> ExamRecord:
    """Write (or rewrite, until approved) the incident record of an attempt, for review."""
    now = now or utcnow()
    refusal = record_refusal(session, lab, now)
    if refusal:
        raise ExamError(refusal)
    texts = {name: (fields.get(name) or "").strip()[:RECORD_MAX] for name in RECORD_FIELDS}
    empty = [name.replace("_", "-") for name, text in texts.items() if not text]
    if empty:
        raise ExamError(f"Fill in every part of the record (missing: {', '.join(empty)}).")
    record = record_of(session.id)
    if record is None:
        record = ExamRecord(session_id=session.id, user_id=session.user_id, review_comment="")
        db.session.add(record)
    for name, text in texts.items():
        setattr(record, name, text)
    record.status = RecordStatus.SUBMITTED.value
    record.submitted_at = now
    record.content_version = content_version
    record.reviewer_name = record.reviewer_name or ""
    db.session.flush()
    return record


def review_record(
    record: ExamRecord, reviewer: Any, approve: bool, comment: str, now: datetime | None = None
) -> ExamRecord:
    """Approve a submitted record, or return it with a comment saying what to change."""
    from app.certification import audit

    if record.status != RecordStatus.SUBMITTED.value:
        raise ExamError("Only a record waiting for review can be approved or returned.")
    comment = comment.strip()[:RECORD_MAX]
    if not approve and not comment:
        raise ExamError("Say what the trainee should change when you return a record.")
    record.status = (RecordStatus.APPROVED if approve else RecordStatus.RETURNED).value
    record.reviewer_id = reviewer.id
    record.reviewer_name = reviewer.full_name
    record.reviewed_at = now or utcnow()
    record.review_comment = comment
    audit.record(
        reviewer,
        "exam_record_approved" if approve else "exam_record_returned",
        "exam_record",
        record.id,
        record.user_id,
        session_id=record.session_id,
        comment=comment,
    )
    db.session.flush()
    return record


def _state(passed: bool, record_status: str | None, tried: bool) -> str:
    if passed:
        return {
            RecordStatus.APPROVED.value: APPROVED,
            RecordStatus.SUBMITTED.value: SUBMITTED,
            RecordStatus.RETURNED.value: RETURNED,
        }.get(record_status or "", PASSED)
    return TRIED if tried else ""


def _best(states: list[str]) -> str:
    return min(states, key=EXAM_STATES.index, default="")


def exam_state(user_id: int, slug: str) -> str:
    """Return the trainee's standing on an exam (EXAM_STATES), from their best attempt."""
    records = records_of(user_id)
    states = [
        _state(attempt_passed(s), getattr(records.get(s.id), "status", None), True)
        for s in attempts_of(user_id, slug)
    ]
    return _best(states)


def _without_record(lab: Lab, state: str) -> str:
    """An exam that takes no incident record is done with a passed attempt."""
    return APPROVED if state == PASSED and lab.exam is not None and not lab.exam.record else state


def exam_states(user_id: int, labs: list[Lab]) -> dict[str, str]:
    """Return the trainee's standing on each exam lab."""
    return {
        lab.id: _without_record(lab, exam_state(user_id, lab.id)) for lab in labs if lab.is_exam
    }


def exam_states_of(members: Select[Any], labs: list[Lab]) -> dict[int, dict[str, str]]:
    """Return every member's standing on each exam lab, in one query."""
    rows = db.session.execute(
        select(
            LabSession.user_id,
            LabSession.lab_slug,
            LabSession.status,
            LabSession.ready_at,
            LabSession.completed_at,
            ExamRecord.status,
        )
        .outerjoin(ExamRecord, ExamRecord.session_id == LabSession.id)
        .where(
            LabSession.user_id.in_(members),
            LabSession.lab_slug.in_([lab.id for lab in labs if lab.is_exam]),
        )
    )
    found: dict[int, dict[str, list[str]]] = {}
    for user_id, slug, status, ready_at, completed_at, record_status in rows:
        if status == SessionStatus.FAILED.value and ready_at is None:
            continue
        found.setdefault(user_id, {}).setdefault(slug, []).append(
            _state(completed_at is not None, record_status, True)
        )
    by_slug = {lab.id: lab for lab in labs}
    return {
        user_id: {
            slug: _without_record(by_slug[slug], _best(states)) for slug, states in per_lab.items()
        }
        for user_id, per_lab in found.items()
    }


def records_waiting_for(reviewer: Any) -> list[ExamRecord]:
    """Return the incident records waiting for this coordinator (any, for an admin), oldest
    first."""
    from app.auth.models import Role
    from app.coordination.models import CohortCoordinator, CohortMember

    query = (
        select(ExamRecord)
        .where(ExamRecord.status == RecordStatus.SUBMITTED.value)
        .order_by(ExamRecord.submitted_at, ExamRecord.id)
    )
    if not reviewer.has_role(Role.ADMIN):
        query = (
            query.join(CohortMember, CohortMember.user_id == ExamRecord.user_id)
            .join(CohortCoordinator, CohortCoordinator.cohort_id == CohortMember.cohort_id)
            .where(CohortCoordinator.user_id == reviewer.id)
        )
    return list(db.session.scalars(query))
