"""Single sign-on against a real OpenID Connect provider (the npm package oidc-provider, run on
this machine), in a real browser: accounts made just in time, roles and cohorts from claims,
allowed domains, and the password form kept for admins."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.auth.models import ExternalIdentity, Role, User
from app.auth.services import create_user
from app.config import ROOT
from app.coordination.models import Cohort, CohortCoordinator, CohortMember
from app.coordination.services import create_cohort
from app.extensions import db
from tests.browser import build_app
from tests.conftest import PASSWORD, csrf_token, in_ci

CLIENT_ID = "ops-academy"
CLIENT_SECRET = "a-client-secret-for-tests-only"
ACCOUNTS = {
    "ana": {
        "email": "ana@company.test",
        "email_verified": True,
        "name": "Ana Operator",
        "groups": ["staff"],
        "cohorts": ["SSO cohort"],
    },
    "cora": {
        "email": "cora@company.test",
        "email_verified": True,
        "name": "Cora Lead",
        "groups": ["staff", "ops-leads"],
        "cohorts": ["SSO cohort"],
    },
    "eve": {
        "email": "eve@elsewhere.test",
        "email_verified": True,
        "name": "Eve Outsider",
        "groups": [],
    },
    "mallory": {
        "email": "local.admin@company.test",
        "email_verified": False,
        "name": "Not Verified",
        "groups": ["platform-admins"],
    },
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    app: Flask
    url: str


@pytest.fixture(scope="module")
def stack(pg_server) -> Iterator[Stack]:
    node = shutil.which("node")
    provider_package = ROOT / "node_modules" / "oidc-provider"
    if node is None or not provider_package.is_dir():
        if in_ci():
            pytest.fail("node and the oidc-provider package are needed (make deps)")
        pytest.skip("node or oidc-provider missing")
    app_port, provider_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{app_port}"
    issuer = f"http://127.0.0.1:{provider_port}"
    env = {
        **os.environ,
        "OIDC_PORT": str(provider_port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": f"{url}/login/sso/callback",
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    provider = subprocess.Popen(
        [node, str(ROOT / "tests" / "oidc" / "provider.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert provider.stdout is not None
    said = []
    for line in provider.stdout:  # warnings first (its in-memory store), then "ready"
        said.append(line)
        if line.startswith("ready") or len(said) > 50:
            break
    assert said[-1].startswith("ready"), "".join(said)
    threading.Thread(target=provider.stdout.read, daemon=True).start()  # keep the pipe drained
    app = build_app(
        pg_server.create_database("academy_sso"),
        base_url=url,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name="Company SSO",
        oidc_coordinator_values=("ops-leads",),
        oidc_admin_values=("platform-admins",),
        oidc_cohort_claim="cohorts",
        oidc_domains=("company.test",),
    )
    with app.app_context():
        admin = create_user("local.admin@company.test", "Local Admin", PASSWORD, Role.ADMIN)
        create_user("local.trainee@company.test", "Local Trainee", PASSWORD, Role.TRAINEE)
        create_cohort("SSO cohort", date.today() - timedelta(days=3), [admin.id])
        db.session.commit()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Stack(app, url)
    server.shutdown()
    thread.join(10)
    provider.terminate()
    provider.wait(10)
    with app.app_context():
        db.engine.dispose()


def _sign_in_at_provider(page: Any, stack: Stack, login: str) -> str:
    """Click the SSO button, log in and consent at the provider; return the final page text."""
    page.goto(f"{stack.url}/login")
    page.get_by_role("link", name="Log in with Company SSO").click()
    page.wait_for_selector('input[name="login"]')
    assert page.url.startswith("http://127.0.0.1:")
    assert stack.url not in page.url
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "any password at the test provider")
    page.click('button[type="submit"]')
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not page.url.startswith(stack.url):
        consent = page.locator('button[type="submit"]')
        if consent.count():
            consent.first.click()
        page.wait_for_load_state()
    assert page.url.startswith(stack.url), page.url
    return str(page.content())


def _user(stack: Stack, email: str) -> tuple[User | None, list[str], list[str]]:
    with stack.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            return None, [], []
        member = db.session.scalars(
            select(Cohort.name).join(CohortMember).where(CohortMember.user_id == user.id)
        ).all()
        leads = db.session.scalars(
            select(Cohort.name).join(CohortCoordinator).where(CohortCoordinator.user_id == user.id)
        ).all()
        db.session.expunge(user)
        return user, list(member), list(leads)


def test_a_new_trainee_signs_in_through_the_provider_and_joins_the_claimed_cohort(page, stack):
    text = _sign_in_at_provider(page, stack, "ana")
    assert "Ana Operator" in text
    user, cohorts, _ = _user(stack, "ana@company.test")
    assert user is not None
    assert user.role == Role.TRAINEE.value
    assert cohorts == ["SSO cohort"]
    with stack.app.app_context():
        identity = db.session.scalar(
            select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
        )
        assert identity is not None
        assert identity.subject == "subject-ana"
    # A second login finds the same account through the identity, not a new one.
    page.context.clear_cookies()
    _sign_in_at_provider(page, stack, "ana")
    with stack.app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count(User.id)).where(User.email == "ana@company.test")
            )
            == 1
        )


def test_the_role_comes_from_the_group_claim(page, stack):
    text = _sign_in_at_provider(page, stack, "cora")
    assert "Cora Lead" in text
    user, _, leads = _user(stack, "cora@company.test")
    assert user is not None
    assert user.role == Role.COORDINATOR.value
    assert leads == ["SSO cohort"]


def test_an_address_outside_the_allowed_domains_gets_no_account(page, stack):
    text = _sign_in_at_provider(page, stack, "eve")
    assert "not allowed on this platform" in text
    assert _user(stack, "eve@elsewhere.test")[0] is None


def test_an_unverified_address_does_not_take_over_an_existing_account(page, stack):
    text = _sign_in_at_provider(page, stack, "mallory")
    assert "has not verified that the address is yours" in text
    admin, _, _ = _user(stack, "local.admin@company.test")
    assert admin is not None
    with stack.app.app_context():
        assert (
            db.session.scalar(
                select(ExternalIdentity.id).where(ExternalIdentity.user_id == admin.id)
            )
            is None
        )


def test_the_password_form_stays_open_to_admins_only(stack):
    client = stack.app.test_client()
    token = csrf_token(client)
    refused = client.post(
        "/login",
        data={"email": "local.trainee@company.test", "password": PASSWORD, "csrf_token": token},
    )
    assert refused.status_code == 200
    assert "Invalid e-mail address or password." in refused.get_data(as_text=True)
    admin = client.post(
        "/login",
        data={"email": "local.admin@company.test", "password": PASSWORD, "csrf_token": token},
    )
    assert admin.status_code == 302
    assert not re.search(r"/login", admin.headers["Location"])


def test_a_forged_callback_is_refused(stack):
    client = stack.app.test_client()
    response = client.get("/login/sso/callback?code=made-up&state=made-up")
    assert response.status_code == 403
    assert "Single sign-on did not log you in" in response.get_data(as_text=True)
    with stack.app.app_context():
        before = db.session.scalar(select(db.func.count(User.id)))
    client.get("/login/sso/callback?code=made-up&state=made-up")
    with stack.app.app_context():
        assert db.session.scalar(select(db.func.count(User.id))) == before
