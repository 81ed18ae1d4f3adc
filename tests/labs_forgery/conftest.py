"""Fixtures for the anti-forgery tests of the six operations labs.

Each test sets a lab up in a real sandbox, takes a shortcut a hurried trainee might take, and
runs the lab's own checks against the result. The Docker engine and the lab image are required:
without them these tests error, they never skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from app.content.labs import Lab
from app.labs.checks import CheckRunner
from app.labs.values import draw_values, script_env
from tests.labs.conftest import RealSandbox, SandboxMaker, real_lab

SITE = "/etc/nginx/sites-available/impactlink"
API_LOCATION = "    location /api/ {\n"


def seed_for(lab: Lab, **wanted: Any) -> int:
    """Return the first seed whose drawn values include every wanted value."""
    for seed in range(10_000):
        values = draw_values(lab.values, seed)
        if all(values[name] == value for name, value in wanted.items()):
            return seed
    raise AssertionError(f"no seed below 10000 draws {wanted} for {lab.id}")


@dataclass
class Bench:
    """A lab's sandbox after setup, with ways to act in it and to judge it by the lab's checks."""

    sandbox: RealSandbox

    @property
    def lab(self) -> Lab:
        """Return the lab this sandbox was set up for."""
        return self.sandbox.lab

    @property
    def values(self) -> dict[str, Any]:
        """Return the session's random values."""
        return self.sandbox.values

    def run(self, script: str, user: str = "impactlink", host: str | None = None) -> str:
        """Run a bash script as a trainee would (with the session's LAB_* values); return stdout."""
        where = host or self.lab.hosts[0].name
        result = self.sandbox.execute(
            where,
            ["bash", "-s"],
            user=user,
            stdin=script.encode(),
            timeout=240,
            env=script_env(self.values, "forgery", where),
        )
        assert result.exit_code == 0, (
            f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        return str(result.stdout)

    def edit(self, path: str, change: Callable[[str], str], host: str | None = None) -> None:
        """Rewrite a file in the sandbox through sudo, as an editor would (same path, new text)."""
        text = change(self.run(f"sudo cat {path}", host=host))
        assert "ACADEMY_EOF" not in text
        self.run(f"sudo tee {path} >/dev/null <<'ACADEMY_EOF'\n{text}ACADEMY_EOF\n", host=host)

    def edit_nginx_site(self, change: Callable[[str], str]) -> None:
        """Change the ImpactLink site of Nginx, test the configuration and reload."""
        self.edit(SITE, change)
        self.run("sudo nginx -t -q && sudo systemctl reload nginx")

    def solve_step(self, index: int = 0) -> str:
        """Run one step of the lab's reference solution; return its stdout."""
        step = self.lab.solve[index]
        return self.run(step.script.text, user=step.user, host=step.host)

    def outcomes(self, *check_ids: str, answers: dict[str, str] | None = None) -> dict[str, str]:
        """Run some of the lab's checks now and return their outcomes by check id."""
        runner = CheckRunner(self.sandbox.execute, self.values, "forgery")
        checks = {check.id: check for check in self.lab.checks}
        return {cid: runner.run(checks[cid], (answers or {}).get(cid)).outcome for cid in check_ids}

    def expected_answer(self, check_id: str) -> str:
        """Return what an answer check computes in the sandbox right now."""
        check = next(c for c in self.lab.checks if c.id == check_id)
        assert check.script is not None
        return self.run(check.script.text, user="root", host=check.host).strip()


@pytest.fixture(scope="session")
def forgery_app(pg_server: Any) -> Iterator[Flask]:
    """An app on its own database, whose settings give the sandboxes their limits."""
    from app.extensions import db
    from tests.browser import build_app

    app = build_app(pg_server.create_database("academy_forgery"), sandbox_pool_size=0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def forgery_runtime(forgery_app: Flask) -> Any:
    """The real Docker runtime, or an error saying how to get it."""
    from app.sandboxes.runtime import SandboxUnavailable, get_runtime

    try:
        return get_runtime(forgery_app, images=["impactlink-server"])
    except SandboxUnavailable as problem:
        raise RuntimeError(
            f"anti-forgery tests need the Docker engine and the lab image: {problem.reason} "
            "(`make system` starts the engine and builds the images)"
        ) from None


@pytest.fixture
def bench(forgery_app: Flask, forgery_runtime: Any) -> Iterator[Any]:
    """Return a function that sets a lab up in a fresh sandbox: bench(slug, **wanted_values)."""
    maker = SandboxMaker(forgery_app, forgery_runtime)

    def start(slug: str, **wanted: Any) -> Bench:
        lab = real_lab(slug)
        return Bench(maker(lab, seed=seed_for(lab, **wanted)))

    yield start
    maker.destroy_all()
