"""`academy images status` and `academy sandboxes list|destroy|prune` against the real engine."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.extensions import db
from app.sandboxes.cli import images, sandboxes
from app.sandboxes.models import Sandbox, SandboxStatus
from tests.sandboxes.conftest import insert_ready_row

pytestmark = pytest.mark.docker


def _run(app, command, *args: str):
    result = CliRunner().invoke(command, list(args), obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output


def test_images_status_reports_each_lab_image():
    output = CliRunner().invoke(images, ["status"]).output
    assert "base image debian:bookworm-slim: present" in output
    assert "impactlink-server:" in output
    assert "missing" not in output.split("impactlink-server:")[1].splitlines()[0]


def test_list_destroy_and_prune(sandbox_app, runtime, people, shared_sandbox):
    assert shared_sandbox in _run(sandbox_app, sandboxes, "list")
    # A row whose containers never existed (a crashed start) is noticed and marked by prune.
    ghost = uuid.uuid4().hex
    insert_ready_row(sandbox_app, ghost, people.owner.id)
    output = _run(sandbox_app, sandboxes, "prune")
    assert "marked 1 failed" in output
    with sandbox_app.app_context():
        row = db.session.get(Sandbox, ghost)
        assert row is not None
        assert row.status == SandboxStatus.FAILED.value
        assert "disappeared" in (row.error or "")
        assert db.session.get(Sandbox, shared_sandbox).status == SandboxStatus.READY.value
    listed_all = _run(sandbox_app, sandboxes, "list", "--all")
    assert ghost in listed_all
    doomed = uuid.uuid4().hex
    insert_ready_row(sandbox_app, doomed, people.owner.id, status=SandboxStatus.WARM.value)
    assert f"destroyed {doomed}" in _run(sandbox_app, sandboxes, "destroy", doomed)
    with sandbox_app.app_context():
        assert db.session.get(Sandbox, doomed).status == SandboxStatus.DESTROYED.value
    refused = CliRunner().invoke(
        sandboxes, ["destroy", "f" * 32], obj=ScriptInfo(create_app=lambda: sandbox_app)
    )
    assert refused.exit_code != 0
    assert "no sandbox" in refused.output


def test_firewall_installs_and_checks_the_host_isolation_rules(sandbox_app):
    installed = _run(sandbox_app, sandboxes, "firewall")
    assert "host isolation: active for 10.213.0.0/16" in installed
    assert "-A ACADEMY-SANDBOX-IN -j DROP" in installed
    checked = _run(sandbox_app, sandboxes, "firewall", "--check")
    assert checked == installed
