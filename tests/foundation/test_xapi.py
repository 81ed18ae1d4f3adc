"""xAPI statements delivered to a real learning record store (Ralph, run on this machine), after
commit, with retries and no loss while it is down."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select, update

from app.auth.models import Role
from app.auth.services import create_user
from app.clock import utcnow
from app.config import ROOT
from app.extensions import db
from app.xapi import statements
from app.xapi.models import StatementStatus, XapiStatement
from app.xapi.sender import deliver
from tests.browser import build_app
from tests.conftest import PASSWORD, in_ci

LRS_USER = "academy"
LRS_PASSWORD = "a-test-lrs-password"
BASE_URL = "http://academy.example.org"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Lrs:
    """A Ralph LRS with a file-system store, which can be stopped and started again."""

    folder: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RALPH_APP_DIR": str(self.folder / "app"),
            "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
        }

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                os.sys.executable,
                "-m",
                "tests.xapi.ralph_lrs",
                str(self.port),
                str(self.folder / "data"),
            ],
            env=self.env,
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get().status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError("the LRS did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process = None

    def get(self, **params: str) -> requests.Response:
        return requests.get(
            f"{self.url}/statements",
            params=params,
            auth=(LRS_USER, LRS_PASSWORD),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=10,
        )

    def stored(self) -> list[dict[str, Any]]:
        """Every statement the LRS holds, following its `more` links page by page."""
        found: list[dict[str, Any]] = []
        answer = self.get()
        while True:
            assert answer.status_code == 200, answer.text
            page = answer.json()
            found.extend(page["statements"])
            more = page.get("more")
            if not more:
                return found
            answer = requests.get(
                f"http://127.0.0.1:{self.port}{more}",
                auth=(LRS_USER, LRS_PASSWORD),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=10,
            )


@pytest.fixture(scope="module")
def lrs(tmp_path_factory) -> Iterator[Lrs]:
    if shutil.which("ralph", path=str(Path(os.sys.executable).parent)) is None:
        if in_ci():
            pytest.fail("Ralph (ralph-malph[cli,lrs]) is needed: make deps")
        pytest.skip("Ralph is not installed")
    server = Lrs(tmp_path_factory.mktemp("lrs"))
    made = subprocess.run(
        [
            str(Path(os.sys.executable).parent / "ralph"),
            "auth",
            "-u",
            LRS_USER,
            "-p",
            LRS_PASSWORD,
            "-s",
            "all",
            "-A",
            "academy",
            BASE_URL,
            "-w",
        ],
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def xapi_app(pg_server, lrs) -> Iterator[Flask]:
    app = build_app(
        pg_server.create_database("academy_xapi"),
        base_url=BASE_URL,
        lrs_url=lrs.url,
        lrs_username=LRS_USER,
        lrs_password=LRS_PASSWORD,
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _trainee(app: Flask, email: str) -> int:
    with app.app_context():
        user = create_user(email, "Xavier Api", PASSWORD, Role.TRAINEE)
        db.session.commit()
        return user.id


def _report_work(app: Flask, user_id: int) -> list[str]:
    from app.auth.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        statements.lesson_completed(user, "day-01/01-architecture", "Architecture")
        statements.quiz_attempted(user, "day-01-quiz", "Day 1 quiz")
        statements.quiz_graded(user, "day-01-quiz", "Day 1 quiz", 87.5, True)
        statements.lab_task_passed(
            user, "slow-query", "add-index", "Add the index", f"{BASE_URL}/labs/sessions/7"
        )
        statements.certificate_event(user, "earned", "ABCD-1234", "ImpactLink operator")
        db.session.commit()
        return list(
            db.session.scalars(
                select(XapiStatement.statement_id).order_by(XapiStatement.id.desc()).limit(5)
            )
        )


def test_statements_reach_the_lrs_after_commit_in_the_standard_form(xapi_app, lrs):
    user_id = _trainee(xapi_app, "xavier@academy.example.org")
    ids = _report_work(xapi_app, user_id)
    with xapi_app.app_context():
        assert deliver(xapi_app.config["ACADEMY"]) >= 5
    stored = {s["id"]: s for s in lrs.stored()}
    assert set(ids) <= set(stored)
    graded = next(
        s
        for s in stored.values()
        if s["verb"]["id"].endswith("/passed") and "quiz" in s["object"]["id"]
    )
    assert graded["actor"]["account"] == {"homePage": BASE_URL, "name": str(user_id)}
    assert graded["result"]["score"]["scaled"] == 0.875
    assert graded["result"]["success"] is True
    task = next(s for s in stored.values() if "lab-task/slow-query/add-index" in s["object"]["id"])
    assert f"{BASE_URL}/labs/sessions/7" in task["context"]["extensions"].values()
    with xapi_app.app_context():
        left = db.session.scalar(
            select(db.func.count(XapiStatement.id)).where(
                XapiStatement.status != StatementStatus.SENT.value
            )
        )
        assert left == 0


def test_an_lrs_outage_loses_nothing_and_sends_each_statement_once(xapi_app, lrs):
    user_id = _trainee(xapi_app, "outage@academy.example.org")
    lrs.stop()
    try:
        ids = _report_work(xapi_app, user_id)
        with xapi_app.app_context():
            assert deliver(xapi_app.config["ACADEMY"]) == 0
            waiting = list(
                db.session.scalars(select(XapiStatement).where(XapiStatement.statement_id.in_(ids)))
            )
            assert all(row.status == StatementStatus.PENDING.value for row in waiting)
            assert all(row.attempts == 1 for row in waiting)
            assert all(row.last_error for row in waiting)
            assert all(row.next_attempt_at > utcnow() for row in waiting)
    finally:
        lrs.start()
    with xapi_app.app_context():
        # Time passes: the retry falls due, and the LRS is back.
        db.session.execute(
            update(XapiStatement)
            .where(XapiStatement.statement_id.in_(ids))
            .values(next_attempt_at=utcnow())
        )
        db.session.commit()
        assert deliver(xapi_app.config["ACADEMY"]) >= 5
        # An answer lost on the way: the same statements sent again are stored once.
        db.session.execute(
            update(XapiStatement)
            .where(XapiStatement.statement_id.in_(ids))
            .values(status=StatementStatus.PENDING.value, next_attempt_at=utcnow())
        )
        db.session.commit()
        deliver(xapi_app.config["ACADEMY"])
    stored = [s["id"] for s in lrs.stored()]
    for statement_id in ids:
        assert stored.count(statement_id) == 1


def test_without_an_lrs_nothing_is_recorded(pg_server):
    app = build_app(pg_server.create_database("academy_xapi_off"))
    user_id = _trainee(app, "quiet@academy.example.org")
    _report_work(app, user_id)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(XapiStatement.id))) == 0
        db.engine.dispose()


def test_a_quiz_taken_on_the_platform_is_reported_with_its_score(xapi_app, lrs):
    from app.auth.models import User
    from app.content import get_catalog
    from app.content.questions import quiz_section
    from app.quizzes import services as quizzes

    user_id = _trainee(xapi_app, "quizzer@academy.example.org")
    with xapi_app.app_context():
        catalog = get_catalog()
        quiz = quiz_section(catalog).for_day("day-01")
        attempt = quizzes.start_attempt(user_id, quiz, catalog)
        quizzes.submit(attempt, {}, catalog)  # nothing answered: a failed attempt, score 0
        db.session.commit()
        sent = deliver(xapi_app.config["ACADEMY"])
        problems = [
            (row.status, row.last_error)
            for row in db.session.scalars(select(XapiStatement))
            if row.status != StatementStatus.SENT.value
        ]
        assert problems == []
        assert sent >= 2
        user = db.session.get(User, user_id)
        assert user is not None
    mine = [
        s
        for s in lrs.stored()
        if s["actor"]["account"]["name"] == str(user_id) and f"quiz/{quiz.id}" in s["object"]["id"]
    ]
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in mine)
    assert verbs == ["attempted", "failed"]
    failed = next(s for s in mine if s["verb"]["id"].endswith("failed"))
    assert failed["result"]["score"]["scaled"] == 0
    assert failed["result"]["success"] is False


def test_lessons_lab_tasks_and_certificates_report_themselves(xapi_app, lrs):
    from app.auth.models import User
    from app.certification import certificates as issuing
    from app.content import get_catalog
    from app.coordination.services import add_member, create_cohort
    from tests.certification.conftest import satisfy_everything

    user_id = _trainee(xapi_app, "certified@academy.example.org")
    with xapi_app.app_context():
        trainee = db.session.get(User, user_id)
        coordinator = create_user(
            "coordinator@academy.example.org", "Coral Coordinator", PASSWORD, Role.COORDINATOR
        )
        admin = create_user("admin@academy.example.org", "Ada Admin", PASSWORD, Role.ADMIN)
        from datetime import date, timedelta

        cohort = create_cohort("xAPI cohort", date.today() - timedelta(days=14), [coordinator.id])
        add_member(cohort.id, user_id)
        db.session.commit()
        # Lessons read, quizzes and labs passed, work approved: each reports as it happens.
        satisfy_everything(trainee, coordinator, get_catalog())
        db.session.commit()
        certificate = issuing.issue_certificate(user_id, coordinator, get_catalog())
        db.session.commit()
        issuing.revoke_certificate(certificate.id, admin, "Issued to the wrong person by mistake")
        db.session.commit()
        while deliver(xapi_app.config["ACADEMY"]):
            pass
        unsent = [
            (row.verb, row.status, row.last_error)
            for row in db.session.scalars(select(XapiStatement))
            if row.status != StatementStatus.SENT.value
        ]
        assert unsent == []
    mine = [s for s in lrs.stored() if s["actor"]["account"]["name"] == str(user_id)]
    kinds = {s["object"]["id"].split("/xapi/activities/")[1].split("/")[0] for s in mine}
    assert {"lesson", "quiz", "lab-task", "certificate"} <= kinds
    certificate_verbs = sorted(
        s["verb"]["id"].rsplit("/", 1)[-1] for s in mine if "/certificate/" in s["object"]["id"]
    )
    assert certificate_verbs == ["earned", "revoked"]
    task = next(s for s in mine if "/lab-task/" in s["object"]["id"])
    evidence = next(iter(task["context"]["extensions"].values()))
    assert evidence.startswith(f"{BASE_URL}/labs/sessions/")
