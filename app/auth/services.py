"""Account operations. They flush; the request (or CLI command) commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import Invitation, LoginAttempt, PasswordReset, Role, User
from app.clock import as_utc, utcnow
from app.extensions import db

MIN_PASSWORD_LENGTH = 12
IP_FAILURES_PER_WINDOW = 30
# A hash to compare against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")


class AccountError(ValueError):
    """An account operation was refused; the message is safe to show."""


class LoginRefused(AccountError):
    """A login failed; the message never says which part was wrong."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an account, and for how long."""

    max_failures: int = 5
    lockout_minutes: int = 15


def normalise_email(email: str) -> str:
    """Return the canonical form used to store and look up an e-mail address."""
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, full_name: str, password: str, role: Role = Role.TRAINEE) -> User:
    """Create an account with a hashed password."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if not full_name.strip():
        raise AccountError("A full name is required.")
    check_password_strength(password)
    if find_user(email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=Role(role).value,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password, clear any lockout and end every session opened before."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    spend_reset_links(user)


def set_active(user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    user.active = active
    if not active:
        end_sessions(user)
    db.session.flush()


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of the user (the loader compares the version)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(user, ["session_version"])


def set_role(user: User, role: Role) -> None:
    """Change what a user may do."""
    user.role = Role(role).value
    db.session.flush()


def authenticate(email: str, password: str, ip_address: str, policy: LoginPolicy) -> User:
    """Return the user for valid credentials, or raise LoginRefused and count the failure."""
    now = utcnow()
    window_start = now - timedelta(minutes=policy.lockout_minutes)
    recent = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip_address == ip_address, LoginAttempt.at >= window_start
        )
    )
    if (recent or 0) >= IP_FAILURES_PER_WINDOW:
        raise LoginRefused(
            "Too many failed logins from your address. Try again later.", throttled=True
        )
    user = find_user(email)
    if user is not None and user.locked_until and as_utc(user.locked_until) > now:
        raise LoginRefused(
            "This account is locked after repeated failed logins. Try again later.", throttled=True
        )
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        db.session.add(
            LoginAttempt(email=normalise_email(email)[:254], ip_address=ip_address, at=now)
        )
        if user is not None:
            count_failure(user, policy, now)
        db.session.flush()
        raise LoginRefused("Invalid e-mail address or password.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < window_start))
    db.session.flush()
    return user


def count_failure(user: User, policy: LoginPolicy, now: datetime) -> bool:
    """Count a failed login in one atomic UPDATE; return whether it locked the account.

    The database adds one to the stored count (never a value read earlier), so parallel guesses
    each count: exactly max_failures of them lock the account, which resets the count.
    """
    failures = User.failed_logins + 1
    locks = failures >= policy.max_failures
    row = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=case((locks, 0), else_=failures),
            locked_until=case(
                (locks, now + timedelta(minutes=policy.lockout_minutes)),
                else_=User.locked_until,
            ),
        )
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    db.session.expire(user, ["failed_logins", "locked_until"])
    return bool(row.failed_logins == 0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    email: str,
    role: Role,
    invited_by: User | None,
    days: int,
    full_name: str = "",
    cohort_id: int | None = None,
) -> tuple[Invitation, str]:
    """Create an invitation and return it with the secret token for its link."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if find_user(email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        full_name=full_name.strip(),
        role=Role(role).value,
        cohort_id=cohort_id,
        token_hash=_token_hash(token),
        invited_by_id=invited_by.id if invited_by else None,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def open_invitation(token: str) -> Invitation:
    """Return the pending invitation for a token, or say why it cannot be used."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None:
        raise AccountError("This invitation link is not valid. Ask your coordinator for a new one.")
    if invitation.accepted_at is not None:
        raise AccountError("This invitation has already been used. Log in instead.")
    if as_utc(invitation.expires_at) <= utcnow():
        raise AccountError("This invitation has expired. Ask your coordinator for a new one.")
    return invitation


def accept_invitation(token: str, full_name: str, password: str) -> User:
    """Create the invited account and close the invitation."""
    invitation = open_invitation(token)
    user = create_user(invitation.email, full_name, password, Role(invitation.role))
    invitation.accepted_at = utcnow()
    if invitation.cohort_id is not None:
        from app.coordination.services import add_member

        add_member(invitation.cohort_id, user.id)
    db.session.flush()
    return user


# -- password reset by e-mail and password change ----------------------------------------------

RESET_LINKS_PER_HOUR = 3  # per account: more requests in an hour send nothing more
RESET_REQUESTS_PER_HOUR_FROM_ADDRESS = 20


def request_password_reset(email: str, ip_address: str, minutes: int) -> tuple[User, str] | None:
    """Make a reset link for the account with this e-mail, if there is an active one.

    Returns the user and the secret token to mail, or None (no such account, deactivated, or
    too many requests). The caller answers the same in every case, so the form tells nobody
    whether an address has an account.
    """
    now = utcnow()
    hour_ago = now - timedelta(hours=1)
    from_address = db.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.requested_from == ip_address[:64], PasswordReset.created_at >= hour_ago
        )
    )
    if (from_address or 0) >= RESET_REQUESTS_PER_HOUR_FROM_ADDRESS:
        return None
    user = find_user(email)
    if user is None or not user.active:
        return None
    recent = db.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at >= hour_ago
        )
    )
    if (recent or 0) >= RESET_LINKS_PER_HOUR:
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_token_hash(token),
            requested_from=ip_address[:64],
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    return user, token


def open_reset_link(token: str) -> PasswordReset:
    """Return the usable reset link for a token, or say why it cannot be used."""
    link = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    )
    if link is None:
        raise AccountError("This password reset link is not valid. Ask for a new one.")
    if link.used_at is not None:
        raise AccountError("This password reset link has already been used. Ask for a new one.")
    if as_utc(link.expires_at) <= utcnow():
        raise AccountError("This password reset link has expired. Ask for a new one.")
    user = db.session.get(User, link.user_id)
    if user is None or not user.active:
        raise AccountError("This password reset link is not valid. Ask for a new one.")
    return link


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link, spending it (and every other open link).

    The link is spent by a conditional UPDATE, so two submissions of one link cannot both
    succeed.
    """
    link = open_reset_link(token)
    check_password_strength(password)
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if spent != 1:
        raise AccountError("This password reset link has already been used. Ask for a new one.")
    user = db.session.get(User, link.user_id)
    assert user is not None  # checked by open_reset_link
    set_password(user, password)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a logged-in user's password after checking the current one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    if current == new:
        raise AccountError("Choose a password different from the current one.")
    set_password(user, new)


def spend_reset_links(user: User) -> None:
    """Spend every open reset link of the user (after any password change)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def set_time_zone(user: User, zone: str) -> None:
    """Show the user's times in an IANA zone ('' for the browser's zone)."""
    from app.formatting import known_zone

    zone = zone.strip()
    if zone and not known_zone(zone):
        raise AccountError(f"{zone!r} is not a time zone name such as Africa/Johannesburg.")
    user.time_zone = zone or None
    db.session.flush()
