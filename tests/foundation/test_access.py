"""Every route declares who may call it, and the declaration holds for every role."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.auth.access import PUBLIC
from app.auth.models import Role
from tests.conftest import login

SAMPLE = {
    "int": "999999",
    "default": "no-such-thing",
    "string": "no-such-thing",
    "path": "no/such/thing",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _routes(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.lower().replace("converter", "")
        values[name] = SAMPLE.get(kind, "no-such-thing")
        if kind == "integer":
            values[name] = "999999"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
        for kind in ("int", "string", "path", "uuid", "float"):
            path = path.replace(f"<{kind}:{name}>", value)
    return path


def _method(rule: Rule) -> str:
    methods = rule.methods or set()
    return "GET" if "GET" in methods else sorted(methods - {"OPTIONS", "HEAD"})[0]


def test_every_route_declares_its_access(app):
    missing = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in _routes(app)
        if getattr(app.view_functions[rule.endpoint], "access", None) is None
    ]
    assert missing == [], "routes without @public or @roles_required: " + ", ".join(missing)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_role_matrix(app, client, make_user, monkeypatch, role):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    if role is not None:
        login(client, make_user(role))
    problems = []
    checked = 0
    for rule in _routes(app):
        if rule.websocket or rule.endpoint == "auth.logout":
            # A websocket is refused without an upgrade (terminal access has its own tests);
            # logging out would end the session the rest of the matrix runs in.
            continue
        access = app.view_functions[rule.endpoint].access
        url = _url(rule)
        response = client.open(url, method=_method(rule))
        status = response.status_code
        location = response.headers.get("Location", "")
        checked += 1
        if access == PUBLIC:
            ok = status not in (401, 403)
        elif role is None:
            ok = status == 401 or (status == 302 and "/login" in location)
        elif role.value in access:
            ok = status not in (401, 403) and "/login" not in location
        else:
            ok = status == 403
        if not ok:
            problems.append(
                f"{_method(rule)} {url} as {role.value if role else 'anonymous'}: "
                f"{status} {location}"
            )
    assert checked > 10
    assert problems == []


def test_logout_is_a_post_for_logged_in_users(client, make_user):
    assert client.post("/logout").status_code == 400  # no CSRF token
    login(client, make_user(Role.TRAINEE))
    assert client.get("/logout").status_code == 405
