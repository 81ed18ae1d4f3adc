"""The request log line names the user without costing the request another query."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.conftest import login


def test_the_log_line_names_the_user_the_request_loaded_without_loading_them_again(
    client: Any, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user()
    login(client, user)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    request_log = logging.getLogger("academy.request")
    request_log.addHandler(caplog.handler)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get("/plan")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        request_log.removeHandler(caplog.handler)

    assert response.status_code == 200
    # Loaded once for the page; reading it after the commit would have loaded it again.
    assert sum("FROM users" in s for s in statements) == 1
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert lines[-1].fields["user"] == user.id  # type: ignore[attr-defined]


def test_healthz_answers_without_a_login_and_says_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
