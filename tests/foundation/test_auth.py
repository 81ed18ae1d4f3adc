"""Login, lockout, throttling, CSRF and invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth import services
from app.auth.models import Invitation, LoginAttempt, Role, User
from app.clock import utcnow
from tests.conftest import PASSWORD, csrf_token, login


def _post_login(client, email, password):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def test_login_with_valid_password_opens_the_plan(client, make_user):
    trainee = make_user(Role.TRAINEE)
    login(client, trainee)
    page = client.get("/plan")
    assert page.status_code == 200
    assert "ImpactLink production handover" in page.get_data(as_text=True)


def test_wrong_password_gives_a_generic_message_and_counts(client, make_user, session):
    trainee = make_user(Role.TRAINEE)
    response = _post_login(client, trainee.email, "wrong password entirely")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Invalid e-mail address or password." in body
    session.refresh(trainee)
    assert trainee.failed_logins == 1
    unknown = _post_login(client, "nobody@example.test", "whatever it is here")
    assert "Invalid e-mail address or password." in unknown.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(client, make_user, session):
    trainee = make_user(Role.TRAINEE)
    for _ in range(5):
        _post_login(client, trainee.email, "not the password")
    session.refresh(trainee)
    assert trainee.locked_until is not None
    response = _post_login(client, trainee.email, PASSWORD)
    assert response.status_code == 200
    assert "locked" in response.get_data(as_text=True)
    assert client.get("/plan").status_code == 302


def test_lock_expires(session, make_user):
    trainee = make_user(Role.TRAINEE)
    trainee.locked_until = utcnow() - timedelta(seconds=1)
    session.flush()
    user = services.authenticate(trainee.email, PASSWORD, "10.0.0.1", services.LoginPolicy())
    assert user.id == trainee.id
    assert user.locked_until is None


def test_many_failures_from_one_address_throttle_it(session, make_user):
    trainee = make_user(Role.TRAINEE)
    now = utcnow()
    for n in range(services.IP_FAILURES_PER_WINDOW):
        session.add(LoginAttempt(email=f"x{n}@example.test", ip_address="203.0.113.9", at=now))
    session.flush()
    with pytest.raises(services.LoginRefused) as refused:
        services.authenticate(trainee.email, PASSWORD, "203.0.113.9", services.LoginPolicy())
    assert refused.value.throttled
    # Another address is not affected.
    assert services.authenticate(trainee.email, PASSWORD, "203.0.113.10", services.LoginPolicy())


def test_form_without_csrf_token_is_refused_and_nothing_is_saved(client, make_user, session):
    trainee = make_user(Role.TRAINEE)
    response = client.post("/login", data={"email": trainee.email, "password": "bad password here"})
    assert response.status_code == 400
    session.refresh(trainee)
    assert trainee.failed_logins == 0


def test_passwords_are_hashed_with_a_key_derivation_function(make_user):
    user = make_user(Role.TRAINEE)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_short_passwords_are_refused(session):
    with pytest.raises(services.AccountError, match="12 characters"):
        services.create_user("short@example.test", "Short Pass", "tooshort", Role.TRAINEE)


def test_open_redirect_is_refused(client, make_user):
    trainee = make_user(Role.TRAINEE)
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": trainee.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_invitation_lets_the_invitee_set_a_password(client, make_user, session):
    admin = make_user(Role.ADMIN)
    invitation, token = services.invite("new.person@example.test", Role.TRAINEE, admin, 7)
    session.commit()
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200
    token_field = csrf_token(client, f"/invitations/{token}")
    response = client.post(
        f"/invitations/{token}",
        data={
            "full_name": "New Person",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "csrf_token": token_field,
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "new.person@example.test"))
    assert user is not None
    assert user.full_name == "New Person"
    session.refresh(invitation)
    assert invitation.accepted_at is not None
    # The link cannot be used twice.
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_tampered_and_expired_invitations_create_nothing(client, make_user, session):
    admin = make_user(Role.ADMIN)
    invitation, token = services.invite("late@example.test", Role.TRAINEE, admin, 7)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    expired = client.get(f"/invitations/{token}")
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    tampered = client.post(
        f"/invitations/{token[:-2]}xx",
        data={
            "full_name": "X",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert tampered.status_code == 400
    assert session.scalar(select(User).where(User.email == "late@example.test")) is None
    assert session.scalar(select(Invitation).where(Invitation.accepted_at.is_not(None))) is None


def test_coordinator_can_invite_only_trainees(client, make_user, login_as):
    coordinator = make_user(Role.COORDINATOR)
    login_as(coordinator)
    page = client.get("/invitations").get_data(as_text=True)
    assert 'value="trainee"' in page
    assert 'value="admin"' not in page


def test_admin_changes_a_role(client, make_user, login_as, session):
    admin = make_user(Role.ADMIN)
    trainee = make_user(Role.TRAINEE)
    login_as(admin)
    token = csrf_token(client, "/admin/users")
    response = client.post(
        f"/admin/users/{trainee.id}/role", data={"role": "coordinator", "csrf_token": token}
    )
    assert response.status_code == 302
    session.refresh(trainee)
    assert trainee.role == "coordinator"


def test_deactivated_user_loses_their_session(client, make_user, login_as, session):
    trainee = make_user(Role.TRAINEE)
    login_as(trainee)
    assert client.get("/plan").status_code == 200
    trainee.active = False
    session.commit()
    assert client.get("/plan").status_code == 302


def test_coordinator_invites_a_trainee_into_their_cohort(client, make_user, login_as, session):
    from datetime import date

    from app.coordination.services import create_cohort

    coordinator = make_user(Role.COORDINATOR)
    cohort = create_cohort("Invite cohort", date.today(), [coordinator.id])
    session.commit()
    login_as(coordinator)
    token = csrf_token(client, "/invitations")
    bad = client.post(
        "/invitations",
        data={
            "email": "not-an-address",
            "role": "trainee",
            "cohort_id": cohort.id,
            "csrf_token": token,
        },
    )
    assert "Enter an e-mail address." in bad.get_data(as_text=True)
    page = client.post(
        "/invitations",
        data={
            "email": "Invited.Trainee@Example.test",
            "full_name": "Invited Trainee",
            "role": "trainee",
            "cohort_id": cohort.id,
            "csrf_token": token,
        },
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/invitations/" in body
    invitation = session.scalar(
        select(Invitation).where(Invitation.email == "invited.trainee@example.test")
    )
    assert invitation is not None
    assert invitation.cohort_id == cohort.id
