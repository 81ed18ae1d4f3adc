"""Lab fixtures: a probe programme, a scripted stand-in for the sandbox, and real sandboxes.

Flow tests (sessions, check runs, pages) replace the sandbox by `FakeSandbox`, which answers each
script by what it contains, so they run on any machine. Tests marked `docker` use the real engine
and the lab images; a missing engine or image is an error, never a skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.config import ROOT, Settings
from app.content.catalog import Catalog, load_programme_catalog
from app.content.errors import Problems
from app.content.labs import Lab, load_labs, read_lab
from app.extensions import db
from app.labs import jobs
from app.labs.models import CheckRun, Trigger
from app.labs.values import draw_values

CONTENT = Path(__file__).parent / "content"
LABS = ROOT / "labs"


def lab_settings(content: Path = CONTENT) -> Settings:
    """Return settings that read the probe programme and its labs."""
    return Settings.from_env({"ACADEMY_ENV": "test"}).replace(
        content_dir=content / "curriculum", labs_dir=content / "labs"
    )


def build_catalog(content: Path = CONTENT, problems: Problems | None = None) -> Catalog:
    """Load the probe programme and its labs (other features' content is not needed here)."""
    settings = lab_settings(content)
    problems = problems or Problems(content)
    catalog = load_programme_catalog(settings, problems)
    load_labs(catalog, settings, problems)
    problems.raise_if_any()
    return catalog


def real_lab(slug: str) -> Lab:
    """Read one of the project's labs on its own, failing with its content problems."""
    problems = Problems(ROOT)
    lab = read_lab(LABS / slug, problems)
    assert not problems.items, "\n".join(str(p) for p in problems.items)
    assert lab is not None
    return lab


def real_lab_slugs() -> list[str]:
    """Return the slugs of every lab folder in the project."""
    return sorted(p.name for p in LABS.iterdir() if (p / "lab.yaml").is_file())


def catalog_with(*labs: Lab) -> Catalog:
    """The real programme with only the given labs (for pages that show a real lab)."""
    settings = Settings.from_env({"ACADEMY_ENV": "test"})
    catalog = load_programme_catalog(settings, Problems(ROOT))
    catalog.sections["labs"] = {lab.id: lab for lab in labs}
    return catalog


def queue_run(lab_session: Any, trigger: Trigger, status: str = "queued") -> CheckRun:
    """Store a check run of the session as a press or the page would queue it."""
    run = CheckRun(
        session_id=lab_session.id,
        user_id=lab_session.user_id,
        trigger=trigger.value,
        status=status,
        content_version=lab_session.content_version,
        results=[],
    )
    db.session.add(run)
    db.session.commit()
    return run


@pytest.fixture(scope="session")
def probe_catalog() -> Catalog:
    """The probe programme, loaded."""
    return build_catalog()


@pytest.fixture
def probe(probe_catalog: Catalog) -> Lab:
    """The probe lab: two tasks, all five check kinds."""
    return probe_catalog.sections["labs"]["probe"]


@pytest.fixture
def use_catalog(app: Flask, probe_catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """Serve the probe programme from the app for one test."""
    monkeypatch.setitem(app.extensions, "academy.catalog", probe_catalog)
    return probe_catalog


@dataclass
class Reply:
    """What the fake sandbox answers to one command (an ExecResult look-alike)."""

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.01
    timed_out: bool = False


@dataclass
class FakeSandbox:
    """Answers scripts by their content; `done` flips the probe lab's state to solved."""

    done: bool = False
    fail_setup: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    # What the setup step was given: the fake sandbox "remembers" it, as a real host's disk would.
    remembered: dict[str, str] = field(default_factory=dict)

    def probe(self, host: str, script: str, **options: Any) -> Reply:
        """Answer a check script run in the host's probe."""
        return self(host, ["probe"], stdin=script.encode(), **options)

    def __call__(self, host: str, command: list[str], **options: Any) -> Reply:
        """Answer one command the way the probe lab's sandbox would."""
        script = (options.get("stdin") or b"").decode()
        env = {**self.remembered, **(options.get("env") or {})}
        self.calls.append({"host": host, "command": command, "script": script, **options})
        marker = env.get("LAB_MARKER", "")
        if "probe-port" in script and "echo" in script:  # setup
            self.remembered.update(options.get("env") or {})
            return Reply(
                exit_code=1 if self.fail_setup else 0, stderr="disk full" if self.fail_setup else ""
            )
        if "obs flag" in script:
            return Reply(stdout="OBS flag up\nOBS owner impactlink\n" if self.done else "")
        if "ACADEMY-FILE" in script:
            if not self.done:
                return Reply(stdout="ACADEMY-FILE missing\n")
            return Reply(stdout=f"ACADEMY-FILE 644 impactlink regular file\n{marker}\n")
        if "FAIL:" in script:  # the shell check
            return Reply(
                exit_code=0 if self.done else 1,
                stdout="" if self.done else "FAIL: missing\nHINT: echo it\n",
            )
        if "cat /var/tmp/probe-port" in script:
            return Reply(stdout=f"{env.get('LAB_PORT')}\n")
        if "ACADEMY_QUERY" in script:
            return Reply(stdout="1\n" if self.done else "0\n")
        if "ACADEMY-HTTP" in script:
            return Reply(stdout='ACADEMY-HTTP 0 200\nERR \n{"status":"ok"}')
        return Reply()


@pytest.fixture
def fake_sandbox(monkeypatch: pytest.MonkeyPatch) -> FakeSandbox:
    """Replace every session's sandbox by a FakeSandbox."""
    fake = FakeSandbox()
    monkeypatch.setattr(jobs, "sandbox_executor", lambda sandbox_id: fake)
    monkeypatch.setattr(jobs, "sandbox_probe", lambda sandbox_id: fake.probe)
    return fake


@pytest.fixture
def probe_values(probe: Lab) -> dict[str, Any]:
    """Values drawn for the probe lab from a fixed seed."""
    return draw_values(probe.values, 1234)


# -- real sandboxes ---------------------------------------------------------------------------


@dataclass
class RealSandbox:
    """A sandbox made straight through the runtime for one lab, with its values."""

    sandbox_id: str
    lab: Lab
    values: dict[str, Any]
    runtime: Any

    def probe(self, host: str, script: str, **options: Any) -> Any:
        """Run a check script in the host's probe."""
        return self.runtime.probe(self.sandbox_id, host, script, **options)

    def execute(self, host: str, command: list[str], **options: Any) -> Any:
        """Run a command in a host (the CheckRunner's executor)."""
        return self.runtime.exec(self.sandbox_id, host, command, **options)

    def sh(self, script: str, user: str = "root", host: str | None = None) -> Any:
        """Run a bash script in the sandbox and return its result."""
        return self.execute(
            host or self.lab.hosts[0].name,
            ["bash", "-s"],
            user=user,
            stdin=script.encode(),
            timeout=120,
        )


@pytest.fixture(scope="session")
def docker_app(pg_server: Any) -> Iterator[Flask]:
    """An app on its own committed database, for tests that use real sandboxes."""
    from app.extensions import db
    from tests.browser import build_app

    app = build_app(pg_server.create_database("academy_labs"), sandbox_pool_size=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def lab_runtime(docker_app: Flask) -> Any:
    """The real Docker runtime, or an error saying how to get it."""
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    try:
        return get_runtime(docker_app, images=["impactlink-server"])
    except SandboxUnavailable as problem:
        raise RuntimeError(
            f"lab tests need the Docker engine and the lab images: {problem.reason} "
            "(`make system` starts the engine and builds the images)"
        ) from None


class SandboxMaker:
    """Starts ready sandboxes for labs (setup run) and destroys them all at the end."""

    def __init__(self, app: Flask, runtime: Any) -> None:
        self.app = app
        self.runtime = runtime
        self.made: list[str] = []

    def __call__(self, lab: Lab, seed: int = 42, setup: bool = True) -> RealSandbox:
        """Start a sandbox for lab with the values of seed, and run its setup."""
        from app.labs.jobs import run_step
        from app.labs.services import host_specs
        from app.sandboxes.runtime import Limits

        sandbox_id = uuid.uuid4().hex
        self.made.append(sandbox_id)
        limits = Limits.from_settings(self.app.config["ACADEMY"])
        self.runtime.create(sandbox_id, host_specs(lab), limits, False)
        assert self.runtime.wait_ready(sandbox_id, 120), "the sandbox never became ready"
        sandbox = RealSandbox(sandbox_id, lab, draw_values(lab.values, seed), self.runtime)
        if setup:
            for step in lab.setup:
                result = run_step(sandbox.execute, step, sandbox.values, "test")
                assert result.exit_code == 0, result.stderr
        return sandbox

    def destroy_all(self) -> None:
        """Remove every sandbox this maker started."""
        for sandbox_id in self.made:
            self.runtime.destroy(sandbox_id)


@pytest.fixture
def make_sandbox(docker_app: Flask, lab_runtime: Any) -> Iterator[SandboxMaker]:
    """Start sandboxes for labs during one test."""
    maker = SandboxMaker(docker_app, lab_runtime)
    yield maker
    maker.destroy_all()


@pytest.fixture(scope="module")
def module_sandbox_maker(docker_app: Flask, lab_runtime: Any) -> Iterator[SandboxMaker]:
    """Start sandboxes for labs shared by a module's tests."""
    maker = SandboxMaker(docker_app, lab_runtime)
    yield maker
    maker.destroy_all()


# -- a live platform with its supervisor -------------------------------------------------------


@pytest.fixture(scope="module")
def lab_server(pg_server: Any) -> Iterator[Any]:
    """The platform served over HTTP with the sandbox supervisor running, as `academy serve`.

    Module-scoped: the supervisor thread uses the global `db.session`, which the `session`
    fixture of other modules swaps for a test transaction.
    """
    from app.extensions import db
    from app.sandboxes.runtime import get_runtime
    from app.sandboxes.supervisor import Supervisor
    from tests.browser import build_app, start_live_server

    app = build_app(
        pg_server.create_database("academy_lab_server"), supervisor_in_web=True, sandbox_pool_size=0
    )
    server = start_live_server(app)
    supervisor = Supervisor(app)
    supervisor.start()
    yield server
    supervisor.stop()
    runtime = get_runtime(app, images=[])
    for sandbox_id in runtime.list_sandbox_ids():
        runtime.destroy(sandbox_id)
    server.stop()
    with app.app_context():
        db.engine.dispose()
