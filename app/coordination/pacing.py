"""Pacing: the day a trainee should be on by the calendar, the day they are on, and flags."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class PacingPolicy:
    """When a trainee is flagged as behind, idle or stuck."""

    behind_days: int = 1
    idle_days: int = 3
    stuck_minutes: int = 45


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a coordinator should look at."""

    kind: str  # behind | idle | stuck | locked
    text: str
    severity: str  # warn | bad
    short: str = ""  # what the matrix cell shows when the text repeats the cell (else text)

    @property
    def label(self) -> str:
        """Return the words the matrix's pace cell shows (the full text is its tooltip)."""
        return self.short or self.text


@dataclass(frozen=True)
class Pacing:
    """Where a trainee is against the cohort's calendar."""

    expected_day: int  # 0 before the cohort's first working day
    current_day: int  # the first day not complete; days + 1 when all are
    total_days: int
    flags: tuple[Flag, ...]

    @property
    def finished(self) -> bool:
        """Tell whether every day is complete."""
        return self.current_day > self.total_days

    @property
    def days_behind(self) -> int:
        """Return how many days the trainee trails the calendar (0 when on time or ahead)."""
        if self.finished:
            return 0
        return max(0, self.expected_day - self.current_day)


def working_days(start: date, today: date) -> int:
    """Count Monday-to-Friday days from start to today, both included."""
    if today < start:
        return 0
    span = (today - start).days + 1
    weeks, rest = divmod(span, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def expected_day(start: date, today: date, total_days: int) -> int:
    """Return the programme day a trainee should be on: one per working day since the start."""
    return min(working_days(start, today), total_days)


def assess(
    start: date,
    now: datetime,
    current_day: int,
    total_days: int,
    last_activity: datetime | None,
    stuck: list[tuple[str, datetime, int]],
    policy: PacingPolicy,
) -> Pacing:
    """Judge one trainee's pace; stuck lists (what, failing since, failed runs) per lab."""
    expected = expected_day(start, now.date(), total_days)
    pacing = Pacing(expected, current_day, total_days, ())
    if pacing.finished:
        return pacing
    flags: list[Flag] = []
    behind = pacing.days_behind
    if behind >= policy.behind_days:
        flags.append(
            Flag(
                "behind",
                f"{behind} day{'s' if behind != 1 else ''} behind "
                f"(on day {current_day}, expected {expected})",
                "bad" if behind >= policy.behind_days + 1 else "warn",
                f"{behind} day{'s' if behind != 1 else ''} behind",
            )
        )
    started = datetime.combine(start, datetime.min.time(), now.tzinfo)
    quiet_since = last_activity or started
    if expected > 0 and now - quiet_since >= timedelta(days=policy.idle_days):
        idle = (now - quiet_since).days
        text = f"no activity for {idle} days" if last_activity else f"not started after {idle} days"
        flags.append(Flag("idle", text, "bad"))
    for what, since, runs in stuck:
        minutes = int((now - since).total_seconds() // 60)
        if minutes >= policy.stuck_minutes:
            duration = (
                f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
            )
            flags.append(
                Flag("stuck", f"stuck on {what}: {runs} failed checks over {duration}", "bad")
            )
    return Pacing(expected, current_day, total_days, tuple(flags))


def with_lockouts(pacing: Pacing, locked: list[tuple[str, int, int]]) -> Pacing:
    """Flag each quiz the trainee is locked out of: (title, attempts used, attempts allowed)."""
    if not locked:
        return pacing
    flags = tuple(
        Flag("locked", f"locked out of {title}: {used} of {allowed} attempts used", "bad")
        for title, used, allowed in locked
    )
    return replace(pacing, flags=pacing.flags + flags)
