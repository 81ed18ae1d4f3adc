"""OpenID Connect single sign-on with the company's identity provider.

On when `ACADEMY_OIDC_ISSUER`, `ACADEMY_OIDC_CLIENT_ID` and `ACADEMY_OIDC_CLIENT_SECRET` are
set. The platform is a confidential client using the authorization code flow with PKCE, a
state and a nonce (Authlib checks the ID token's signature, issuer, audience, expiry and nonce
against the provider's published keys).

Who gets in, and as what:

- An identity is (issuer, subject). Its first login makes an account just in time, or links the
  existing account with the same e-mail address when the provider says the address is verified.
- `ACADEMY_OIDC_DOMAINS` (comma-separated) limits accounts to those e-mail domains.
- The role comes from the claim `ACADEMY_OIDC_ROLES_CLAIM` (default `groups`, a string or a
  list): a value in `ACADEMY_OIDC_ADMIN_VALUES` makes an admin, one in
  `ACADEMY_OIDC_COORDINATOR_VALUES` a coordinator, anything else a trainee. It is applied at
  every login when either list is set, so the provider stays the source of truth.
- `ACADEMY_OIDC_COHORT_CLAIM` names a claim holding cohort names: the user joins those of them
  that exist (as a member, or as a coordinator for coordinators). Cohorts are never created here.
- With single sign-on on, the password form stays open to admins only
  (`ACADEMY_OIDC_LOCAL_LOGIN=admins`, the default), so a break-glass admin can always log in;
  `everyone` keeps it for all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from app.auth.models import ExternalIdentity, Role, User
from app.auth.services import AccountError, create_user, find_user, normalise_email
from app.clock import utcnow
from app.config import Settings
from app.extensions import db

log = logging.getLogger("academy.sso")
EXTENSION = "academy.oidc"


@dataclass(frozen=True)
class Claims:
    """What the platform reads from a verified ID token (and the userinfo answer)."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    raw: dict[str, Any]


def enabled(settings: Settings) -> bool:
    """Tell whether single sign-on is configured."""
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def local_login_allowed(settings: Settings, user: User | None) -> bool:
    """Tell whether a password login is allowed for this user."""
    if not enabled(settings) or settings.oidc_local_login == "everyone":
        return True
    return user is not None and user.has_role(Role.ADMIN)


def client(app: Flask) -> Any:
    """Return the app's OpenID client (registered on first use)."""
    registry = app.extensions.get(EXTENSION)
    if registry is None:
        from authlib.integrations.flask_client import OAuth

        settings: Settings = app.config["ACADEMY"]
        if insecure_transport_allowed(settings.oidc_issuer):
            import os

            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
        registry = OAuth(app)
        registry.register(
            "provider",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
        app.extensions[EXTENSION] = registry
    return registry.provider


def insecure_transport_allowed(issuer: str) -> bool:
    """Plain HTTP to the provider only on this machine (a provider run for tests or trials)."""
    parts = urlsplit(issuer)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def claims_of(token: dict[str, Any], settings: Settings) -> Claims:
    """Read the verified claims of a token response, refusing what cannot name a person."""
    info = dict(token.get("userinfo") or {})
    issuer = str(info.get("iss") or settings.oidc_issuer)
    subject = str(info.get("sub") or "")
    if not subject:
        raise AccountError("The identity provider did not say who you are (no subject).")
    email = normalise_email(str(info.get("email") or ""))
    if "@" not in email:
        raise AccountError("The identity provider did not share your e-mail address.")
    return Claims(
        issuer=issuer,
        subject=subject,
        email=email,
        email_verified=info.get("email_verified") is True,
        name=str(info.get("name") or email.split("@")[0])[:200],
        raw=info,
    )


def _values(claims: Claims, name: str) -> set[str]:
    value = claims.raw.get(name) if name else None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return set()


def role_from(claims: Claims, settings: Settings) -> Role | None:
    """Return the role the claims give, or None when no mapping is configured."""
    if not settings.oidc_admin_values and not settings.oidc_coordinator_values:
        return None
    held = _values(claims, settings.oidc_roles_claim)
    if held & set(settings.oidc_admin_values):
        return Role.ADMIN
    if held & set(settings.oidc_coordinator_values):
        return Role.COORDINATOR
    return Role.TRAINEE


def sign_in(claims: Claims, settings: Settings) -> User:
    """Return the account for verified claims, making or linking it just in time."""
    domain = claims.email.rsplit("@", 1)[-1]
    if settings.oidc_domains and domain not in settings.oidc_domains:
        raise AccountError(f"Accounts from {domain} are not allowed on this platform.")
    identity = db.session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == claims.issuer, ExternalIdentity.subject == claims.subject
        )
    )
    role = role_from(claims, settings)
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        assert user is not None  # the identity is deleted with its user
    else:
        user = find_user(claims.email)
        if user is not None and not claims.email_verified:
            raise AccountError(
                "An account with this e-mail address exists, and the identity provider has not "
                "verified that the address is yours. Ask an admin to link the accounts."
            )
        if user is None:
            from secrets import token_urlsafe

            # A password nobody knows: this account logs in through the provider.
            user = create_user(claims.email, claims.name, token_urlsafe(32), role or Role.TRAINEE)
            log.info("single sign-on made the account %s", user.email)
        identity = ExternalIdentity(user_id=user.id, issuer=claims.issuer, subject=claims.subject)
        db.session.add(identity)
    if not user.active:
        raise AccountError("This account is deactivated. Ask an admin.")
    if role is not None and user.role != role.value:
        log.info("single sign-on changed the role of %s to %s", user.email, role.value)
        user.role = role.value
    identity.last_login_at = user.last_login_at = utcnow()
    _join_cohorts(user, claims, settings)
    db.session.flush()
    return user


def _join_cohorts(user: User, claims: Claims, settings: Settings) -> None:
    names = _values(claims, settings.oidc_cohort_claim)
    if not names:
        return
    from app.coordination.models import Cohort, CohortCoordinator
    from app.coordination.services import add_member, cohort_of

    cohorts = list(db.session.scalars(select(Cohort).where(Cohort.name.in_(sorted(names)))))
    if user.has_role(Role.TRAINEE):
        # A trainee is in one cohort: the claim's (first existing) cohort, moved there if needed.
        current = cohort_of(user.id)
        if cohorts and (current is None or current.name not in names):
            add_member(sorted(cohorts, key=lambda c: c.name)[0].id, user.id)
        return
    if not user.has_role(Role.COORDINATOR):
        return
    for cohort in cohorts:
        exists = db.session.scalar(
            select(CohortCoordinator.id).where(
                CohortCoordinator.cohort_id == cohort.id, CohortCoordinator.user_id == user.id
            )
        )
        if exists is None:
            db.session.add(CohortCoordinator(cohort_id=cohort.id, user_id=user.id))
