"""The worker's engine report, read by processes without an engine (the compose web service)."""

from __future__ import annotations

import json
import time

from app import create_app
from app.config import Settings
from app.sandboxes import report
from app.sandboxes.services import unavailable_reason


def _settings(tmp_path, engine: str = "worker") -> Settings:
    base = Settings.from_env({"ACADEMY_ENV": "test", "ACADEMY_INSTANCE_DIR": str(tmp_path)})
    return base.replace(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", sandbox_engine=engine)


def _write(settings: Settings, **fields) -> None:
    path = report.report_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"written_at": time.time(), "problem": None, **fields}))


def test_without_a_fresh_report_labs_are_unavailable_and_say_why(tmp_path):
    settings = _settings(tmp_path)
    assert "has not reported" in (report.reported_problem(settings) or "")
    _write(settings, written_at=time.time() - 120)
    assert "has not reported for 1" in (report.reported_problem(settings) or "")
    _write(settings, problem="The sandbox image x is not built")
    assert report.reported_problem(settings) == "The sandbox image x is not built"
    _write(settings, firewall={"active": True, "reason": "active for 10.0.0.0/16", "rules": []})
    assert report.reported_problem(settings) is None
    assert report.reported_firewall(settings).active


def test_the_web_asks_the_report_not_the_engine(tmp_path):
    app = create_app(_settings(tmp_path))
    assert "has not reported" in (unavailable_reason(app) or "")
    _write(app.config["ACADEMY"])
    assert unavailable_reason(app) is None


def test_the_supervisor_task_writes_what_it_found(tmp_path, monkeypatch):
    app = create_app(_settings(tmp_path, engine="local"))
    monkeypatch.setattr(report, "_written_at", [float("-inf")])
    with app.app_context():
        report.write_periodically(app)
    found = report.read(app.config["ACADEMY"])
    assert found is not None
    assert set(found) >= {"written_at", "problem", "version", "disks", "firewall"}
    assert oct(report.report_path(app.config["ACADEMY"]).stat().st_mode)[-3:] == "644"
