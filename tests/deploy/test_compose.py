"""docker-compose.yml as an operator runs it: build, start, use over HTTP, take down.

From the checkout, with a throwaway project name, `.env` and port: `docker-compose up -d
--build`, wait for every health check, create accounts with `academy users create` inside the
web container, sign in over HTTP (CSRF tokens and all), start the quickest lab, open its terminal
through the proxy (the sockets service), do a task's work in the sandbox host as the reference
solution does and press Check until it passes, open a certificate's public verify page, then
destroy the sandboxes, `docker-compose down -v` and check nothing of the stack is left:
containers, networks, volumes, sandbox containers and loop devices.

With CI set, a missing docker-compose, engine or lab image fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from app.config import ROOT
from tests.conftest import in_ci

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LAB = "slow-query"
TASK = "add-index"
LAB_IMAGE = "impactlink-server"
PASSWORD = "compose stack pass phrase 42"
BUILD_SECONDS = 1800
START_SECONDS = 600


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI runs the compose test, it must not be skipped)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """One throwaway compose project started from the checkout."""

    project: str
    env_file: Path
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def compose(
        self, *args: str, timeout: float = 300, check: bool = True, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        command = ["docker-compose", "--env-file", str(self.env_file), "-p", self.project, *args]
        environment = {**os.environ, "ACADEMY_ENV_FILE": str(self.env_file)}
        started = time.monotonic()
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=environment,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        self.log.append(f"{' '.join(args[:3])}: {time.monotonic() - started:.1f} s")
        if check and done.returncode != 0:
            raise AssertionError(
                f"docker-compose {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout.decode(errors='replace')[-3000:]}\n"
                f"{done.stderr.decode(errors='replace')[-3000:]}"
            )
        return done

    def academy(self, *args: str, service: str = "web") -> str:
        return self.compose("exec", "-T", service, "academy", *args).stdout.decode()

    def logs(self) -> str:
        done = self.compose("logs", "--no-color", "--tail", "40", check=False, timeout=60)
        return done.stdout.decode(errors="replace")[-8000:]


def _docker(*args: str, timeout: float = 120) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=timeout
    ).stdout


def _project_leftovers(project: str) -> dict[str, str]:
    label = f"label=com.docker.compose.project={project}"
    return {
        "containers": _docker("ps", "-aq", "--filter", label).strip(),
        "networks": _docker("network", "ls", "-q", "--filter", label).strip(),
        "volumes": _docker("volume", "ls", "-q", "--filter", label).strip(),
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack, built and healthy; taken down afterwards whatever happened."""
    if shutil.which("docker-compose") is None:
        _unavailable("docker-compose is not installed (scripts/setup-system.sh installs it)")
    try:
        _docker("info", timeout=30)
    except (OSError, subprocess.SubprocessError):
        _unavailable("the Docker engine is not running")
    if not _docker("images", "-q", LAB_IMAGE).strip():
        _unavailable(f"the lab image {LAB_IMAGE} is not built (academy images build)")
    # The wheels and front-end files the platform image is built from (cheap when up to date).
    subprocess.run(["make", "-s", "compose-context"], cwd=ROOT, check=True, timeout=900)

    folder = tmp_path_factory.mktemp("compose")
    port = _free_port()
    env_file = folder / ".env"
    env_file.write_text(
        "\n".join(
            [
                f"ACADEMY_SECRET_KEY={secrets.token_hex(32)}",
                f"POSTGRES_PASSWORD={secrets.token_hex(16)}",
                f"ACADEMY_BASE_URL=http://127.0.0.1:{port}",
                f"ACADEMY_PORT={port}",
                # Only the sandbox this test asks for: no warm pool or prepared labs.
                "ACADEMY_SANDBOX_POOL_SIZE=0",
                "ACADEMY_LAB_PREPARED_PER_LAB=0",
                "",
            ]
        )
    )
    built = Stack(f"acdeploy{secrets.token_hex(4)}", env_file, port)
    try:
        started = time.monotonic()
        built.compose("build", timeout=BUILD_SECONDS)
        built.log.append(f"images built in {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        built.compose("up", "-d", timeout=START_SECONDS)
        _wait_healthy(built, time.monotonic() + START_SECONDS)
        built.log.append(f"healthy {time.monotonic() - started:.0f} s after up")
        yield built
    finally:
        # The test takes the stack down itself and checks; this is for a test that failed.
        if any(_project_leftovers(built.project).values()):
            _take_down(built)
        print("\n".join(built.log))


def _wait_healthy(stack: Stack, deadline: float) -> None:
    services = ("db", "web", "worker", "sockets", "proxy")
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {}
        for service in services:
            container = stack.compose("ps", "-q", service, timeout=60).stdout.decode().strip()
            states[service] = (
                _docker("inspect", "-f", "{{.State.Health.Status}}", container).strip()
                if container
                else "missing"
            )
        if set(states.values()) == {"healthy"}:
            answer = requests.get(f"{stack.url}/healthz", timeout=10)
            assert answer.json() == {"status": "ok", "database": "ok"}
            return
        time.sleep(3)
    raise AssertionError(f"the stack did not become healthy: {states}\n{stack.logs()}")


def _take_down(stack: Stack) -> None:
    """What an operator does to remove the platform for good, sandboxes first."""
    stack.compose("stop", "proxy", "web", "sockets", "worker", timeout=300, check=False)
    stack.compose(
        "run", "--rm", "--no-deps", "worker", "academy", "sandboxes", "destroy", "--all",
        timeout=300, check=False,
    )  # fmt: skip
    stack.compose("down", "-v", "--remove-orphans", "--timeout", "60", timeout=600)


def _token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def _login(stack: Stack, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{stack.url}/login", timeout=30)
    assert page.status_code == 200
    answer = browser.post(
        f"{stack.url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def _status(browser: requests.Session, stack: Stack, session_id: int) -> dict[str, object]:
    answer = browser.get(f"{stack.url}/labs/sessions/{session_id}/status", timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    found: dict[str, object] = answer.json()
    return found


def _task_passed(status: dict[str, object], task_id: str) -> bool:
    tasks = status.get("tasks")
    assert isinstance(tasks, list)
    return any(task["id"] == task_id and task["passed"] for task in tasks)


def _first_terminal_output(stack: Stack, browser: requests.Session, socket_path: str) -> bytes:
    """Open the terminal socket through the proxy as the page does; return its first output."""
    from simple_websocket import Client  # flask-sock's own WebSocket library

    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    url = socket_path if "://" in socket_path else f"ws://127.0.0.1:{stack.port}{socket_path}"
    client = Client.connect(
        url,
        headers={
            "Cookie": cookie,
            "Origin": stack.url,
            "User-Agent": str(browser.headers["User-Agent"]),
        },
    )
    try:
        client.send(json.dumps({"type": "resize", "cols": 100, "rows": 30}))
        seen = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and b"$" not in seen:
            data = client.receive(timeout=5)
            if isinstance(data, bytes):
                seen += data
            elif isinstance(data, str):
                seen += data.encode()
        return seen
    finally:
        client.close()


def test_the_stack_starts_serves_a_lab_and_leaves_nothing_behind(stack: Stack) -> None:
    began = time.monotonic()
    # Accounts, made the way an operator makes them.
    made = stack.academy(
        "users", "create", "admin@example.test", "Ada Admin", "--role", "admin",
        "--password", PASSWORD,
    )  # fmt: skip
    assert "created admin admin@example.test" in made
    stack.academy(
        "users", "create", "trainee@example.test", "Tess Trainee", "--role", "trainee",
        "--password", PASSWORD,
    )  # fmt: skip
    admin = _login(stack, "admin@example.test")
    assert admin.get(f"{stack.url}/admin/sandboxes", timeout=30).status_code == 200

    # The web process has no engine: it knows labs can run from the worker's report.
    trainee = _login(stack, "trainee@example.test")
    lab_page = trainee.get(f"{stack.url}/labs/{LAB}", timeout=30)
    assert lab_page.status_code == 200
    assert "labs are unavailable" not in lab_page.text.lower(), lab_page.text[:2000]
    started = trainee.post(
        f"{stack.url}/labs/{LAB}/start",
        data={"csrf_token": _token(lab_page.text)},
        allow_redirects=False,
        timeout=60,
    )
    assert started.status_code == 302, started.text[:2000]
    found = re.search(r"/labs/sessions/(\d+)/work", started.headers["Location"])
    assert found, started.headers["Location"]
    session_id = int(found.group(1))

    deadline = time.monotonic() + START_SECONDS
    status = _status(trainee, stack, session_id)
    while status["status"] != "active" and time.monotonic() < deadline:
        assert status["status"] in ("starting", "setting_up"), status
        time.sleep(2)
        status = _status(trainee, stack, session_id)
    assert status["status"] == "active", f"{status}\n{stack.logs()}"
    stack.log.append(f"lab active {time.monotonic() - began:.0f} s into the test")

    workspace = trainee.get(f"{stack.url}/labs/sessions/{session_id}/work", timeout=30)
    assert workspace.status_code == 200
    socket_path = re.search(
        r'data-socket="([^"]*/sandboxes/([0-9a-f]+)/terminal[^"]*)"', workspace.text
    )
    assert socket_path, f"no terminal on the lab page: {workspace.text[:3000]}"
    sandbox_id = socket_path.group(2)

    # The terminal goes through the proxy to the sockets service and into the sandbox host.
    shown = _first_terminal_output(stack, trainee, socket_path.group(1).replace("&amp;", "&"))
    assert b"$" in shown, shown[-500:]

    # The task's work, done in the host as the trainee would (the lab's reference solution).
    host = f"ac-{sandbox_id}-prod"
    solution = (ROOT / "labs" / LAB / "solve.sh").read_bytes()
    done = subprocess.run(
        ["docker", "exec", "-i", "-u", "impactlink", "-w", "/home/impactlink",
         "-e", "HOME=/home/impactlink", host, "bash", "-l", "-s"],
        input=solution, capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]

    # Check, as the button does, until the task passes (the worker runs the checks).
    token = _token(workspace.text)
    deadline = time.monotonic() + 300
    while not _task_passed(status, TASK) and time.monotonic() < deadline:
        pressed = trainee.post(
            f"{stack.url}/labs/sessions/{session_id}/check",
            json={"task": TASK},
            headers={"X-CSRFToken": token},
            timeout=30,
        )
        assert pressed.status_code in (200, 429), pressed.text[:500]
        waited = time.monotonic() + 60
        status = _status(trainee, stack, session_id)
        while status["pending_runs"] and time.monotonic() < waited:
            time.sleep(0.5)
            status = _status(trainee, stack, session_id)
        if not _task_passed(status, TASK):
            time.sleep(6)  # within the presses allowed per minute
    assert _task_passed(status, TASK), f"{json.dumps(status)[:3000]}\n{stack.logs()}"
    stack.log.append(f"task passed {time.monotonic() - began:.0f} s into the test")

    # A certificate (issued directly: the full sign-off needs ten days of work), then its
    # public verify page, anonymously.
    issued = stack.compose(
        "exec", "-T", "web", "python", "-", stdin=CERTIFICATE_SCRIPT.encode(), timeout=120
    ).stdout.decode()
    code = issued.strip().splitlines()[-1]
    verify = requests.get(f"{stack.url}/verify/{code}", timeout=30)
    assert verify.status_code == 200
    assert "Tess Trainee" in verify.text
    assert "valid" in verify.text.lower()

    # Down for good: sandboxes first, then the stack with its volumes.
    _take_down(stack)
    leftovers = _project_leftovers(stack.project)
    assert leftovers == {"containers": "", "networks": "", "volumes": ""}, leftovers
    assert _docker("ps", "-aq", "--filter", f"label=academy.sandbox={sandbox_id}").strip() == ""
    assert _docker("network", "ls", "-q", "--filter", f"label=academy.sandbox={sandbox_id}") == ""
    loops = subprocess.run(
        ["losetup", "--list", "--noheadings", "--output", "BACK-FILE"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    assert sandbox_id not in loops
    assert f"{stack.project}_academy" not in loops
    stack.log.append(f"test body took {time.monotonic() - began:.0f} s")


CERTIFICATE_SCRIPT = """
from datetime import timedelta

from sqlalchemy import select

from app import create_app
from app.auth.models import User
from app.certification.certificates import add_months, new_code
from app.certification.models import Certificate
from app.clock import utcnow
from app.content import get_catalog
from app.extensions import db

app = create_app()
with app.app_context():
    catalog = get_catalog()
    trainee = db.session.scalar(select(User).where(User.email == "trainee@example.test"))
    issued = utcnow() - timedelta(days=1)
    certificate = Certificate(
        code=new_code(),
        user_id=trainee.id,
        cycle=1,
        recipient_name=trainee.full_name,
        programme_id=catalog.programme.id,
        programme_title=catalog.programme.title,
        content_version=catalog.version,
        issued_at=issued,
        expires_at=add_months(issued, 12),
        signed_off_by="Ada Admin",
        badge_salt="compose",
        evidence={},
        revocation_reason="",
    )
    db.session.add(certificate)
    db.session.commit()
    print(certificate.code)
"""
