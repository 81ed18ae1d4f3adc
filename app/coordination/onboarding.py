"""Bulk onboarding: a roster CSV becomes invitations to a cohort, all of them or none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.auth.models import Invitation, Role, User
from app.auth.services import AccountError, invite, normalise_email
from app.certification import audit
from app.clock import utcnow
from app.coordination.models import Cohort
from app.extensions import db

COLUMNS = ("email", "full_name")
MAX_ROWS = 500
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class RosterRow:
    """One person to invite, with the CSV row they came from (the header is row 1)."""

    row: int
    email: str
    full_name: str


class RosterError(ValueError):
    """The roster was refused; every problem names its row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_roster(data: bytes) -> list[RosterRow]:
    """Read and check a roster CSV with the columns email and full_name."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(["the file is not UTF-8 text: save it as CSV UTF-8"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    names = [cell.strip().lower() for cell in header or []]
    if header is None or [n for n in names if n] != list(COLUMNS):
        found = ", ".join(names) if names else "nothing"
        raise RosterError([f"row 1: the header must be 'email,full_name' (found {found})"])
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            problems.append(
                f"row {number}: expected 2 columns (email, full_name), found {len(cells)}"
            )
            continue
        email, full_name = normalise_email(cells[0]), " ".join(cells[1].split())
        if not EMAIL.match(email) or len(email) > 254:
            problems.append(f"row {number}: {cells[0].strip()!r} is not an e-mail address")
        if not full_name:
            problems.append(f"row {number}: the full name is missing")
        elif len(full_name) > 200:
            problems.append(f"row {number}: the full name is longer than 200 characters")
        if email in seen:
            problems.append(f"row {number}: {email} is also on row {seen[email]}")
        seen.setdefault(email, number)
        rows.append(RosterRow(number, email, full_name))
    if not rows and not problems:
        problems.append("the file lists nobody: add one person per row under the header")
    if len(rows) > MAX_ROWS:
        problems.append(f"the file lists {len(rows)} people; import at most {MAX_ROWS} at a time")
    if problems:
        raise RosterError(problems)
    return rows


def check_against_accounts(rows: list[RosterRow]) -> None:
    """Refuse people who already have an account or an open invitation."""
    emails = [row.email for row in rows]
    taken = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    invited = set(
        db.session.scalars(
            select(Invitation.email).where(
                func.lower(Invitation.email).in_(emails),
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
    )
    problems = []
    for row in rows:
        if row.email in taken:
            problems.append(f"row {row.row}: an account for {row.email} already exists")
        elif row.email in invited:
            problems.append(f"row {row.row}: {row.email} already has an open invitation")
    if problems:
        raise RosterError(problems)


def import_roster(
    cohort: Cohort, data: bytes, invited_by: User, days: int
) -> list[tuple[Invitation, str]]:
    """Invite everyone on the roster to the cohort; on any bad row, invite no one.

    Returns each invitation with its secret token (for the links). The caller sends the
    invitations after the commit.
    """
    rows = parse_roster(data)
    check_against_accounts(rows)
    made: list[tuple[Invitation, str]] = []
    # A savepoint, so that a row refused half-way leaves no invitation behind even when the
    # caller goes on to commit.
    with db.session.begin_nested():
        for row in rows:
            try:
                made.append(
                    invite(row.email, Role.TRAINEE, invited_by, days, row.full_name, cohort.id)
                )
            except AccountError as error:
                raise RosterError([f"row {row.row}: {error}"]) from None
    audit.record(
        invited_by,
        "cohort.members_invited",
        "cohort",
        cohort.id,
        None,
        cohort=cohort.name,
        emails=[row.email for row in rows],
    )
    return made
