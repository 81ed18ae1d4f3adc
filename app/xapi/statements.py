"""Build xAPI 1.0.3 statements for what happens on the platform, and record them.

Actors are named by an account on the platform (`homePage` = `ACADEMY_BASE_URL`, `name` = the
user's id), not by e-mail: the LRS learns who did what without holding addresses. Activities
have ids under `<base>/xapi/activities/<kind>/<id>`; the verbs are ADL's where one fits
(completed, attempted, passed, failed) and the platform's own IRIs for certificate events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app

from app.clock import utcnow
from app.config import Settings
from app.extensions import db
from app.xapi.models import StatementStatus, XapiStatement

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "completed": ADL + "completed",
    "attempted": ADL + "attempted",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "earned": "http://id.tincanapi.com/verb/earned",
}
ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "lab-task": "http://adlnet.gov/expapi/activities/performance",
    "certificate": "https://w3id.org/xapi/tla/activity-types/credential",
    "drill": "http://adlnet.gov/expapi/activities/simulation",
}


def _settings() -> Settings:
    settings: Settings = current_app.config["ACADEMY"]
    return settings


def enabled() -> bool:
    """Tell whether statements are recorded (an LRS is configured)."""
    return bool(_settings().lrs_url)


def _base() -> str:
    return _settings().base_url.rstrip("/")


def _verb(name: str) -> dict[str, Any]:
    iri = VERBS.get(name) or f"{_base()}/xapi/verbs/{name}"
    return {"id": iri, "display": {"en-US": name}}


def actor(user: Any) -> dict[str, Any]:
    """The agent for a platform user."""
    return {
        "objectType": "Agent",
        "name": user.full_name,
        "account": {"homePage": _base(), "name": str(user.id)},
    }


def activity(kind: str, ident: str, name: str) -> dict[str, Any]:
    """An activity of the platform (a lesson, a quiz, a lab task, a certificate, a drill)."""
    definition: dict[str, Any] = {"name": {"en-US": name}}
    if kind in ACTIVITY_TYPES:
        definition["type"] = ACTIVITY_TYPES[kind]
    return {
        "objectType": "Activity",
        "id": f"{_base()}/xapi/activities/{kind}/{ident}",
        "definition": definition,
    }


def record(
    user: Any,
    verb: str,
    target: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> XapiStatement | None:
    """Write a statement in the current transaction (nothing without a configured LRS)."""
    if not enabled():
        return None
    statement_id = str(uuid.uuid4())
    body: dict[str, Any] = {
        "id": statement_id,
        "actor": actor(user),
        "verb": _verb(verb),
        "object": target,
        "timestamp": (at or utcnow()).isoformat(),
        "context": {"platform": "Ops Academy", "language": "en-US"},
    }
    if result is not None:
        body["result"] = result
    if extensions:
        body["context"]["extensions"] = {
            f"{_base()}/xapi/extensions/{key}": value for key, value in extensions.items()
        }
    row = XapiStatement(
        statement_id=statement_id,
        verb=verb,
        body=body,
        status=StatementStatus.PENDING.value,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    return row


# -- what features report ----------------------------------------------------------------------


def lesson_completed(user: Any, lesson_id: str, title: str) -> None:
    record(user, "completed", activity("lesson", lesson_id, title), result={"completion": True})


def quiz_attempted(user: Any, quiz_id: str, title: str) -> None:
    record(user, "attempted", activity("quiz", quiz_id, title))


def quiz_graded(user: Any, quiz_id: str, title: str, percent: float, passed: bool) -> None:
    scaled = max(0.0, min(1.0, round(percent / 100, 4)))
    record(
        user,
        "passed" if passed else "failed",
        activity("quiz", quiz_id, title),
        result={
            "score": {"scaled": scaled, "raw": round(percent, 1), "min": 0, "max": 100},
            "success": passed,
            "completion": True,
        },
    )


def lab_task_passed(user: Any, lab_slug: str, task_id: str, title: str, evidence: str) -> None:
    record(
        user,
        "passed",
        activity("lab-task", f"{lab_slug}/{task_id}", title),
        result={"success": True, "completion": True},
        extensions={"evidence": evidence},
    )


def certificate_event(user: Any, verb: str, code: str, title: str, reason: str = "") -> None:
    """verb: earned (issued), revoked or suspended."""
    record(
        user,
        verb,
        activity("certificate", code, title),
        extensions={"verify": f"{_base()}/verify/{code}", **({"reason": reason} if reason else {})},
    )


def drill_completed(user: Any, drill_id: str, title: str, passed: bool = True) -> None:
    record(
        user,
        "completed",
        activity("drill", drill_id, title),
        result={"success": passed, "completion": True},
    )
