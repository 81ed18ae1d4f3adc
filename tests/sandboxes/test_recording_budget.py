"""Recordings are kept as long as their kind of evidence needs, and stop when disk runs short."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.labs.models import LabSession
from app.sandboxes.models import Sandbox, TerminalRecording
from app.sandboxes.recordings import prune_recordings, recording_refusal


def _sandbox(owner_id: int) -> Sandbox:
    sandbox = Sandbox(profile="prod=impactlink-server@impactlink-prod", owner_id=owner_id)
    db.session.add(sandbox)
    db.session.flush()
    return sandbox


def _recording(app, sandbox: Sandbox, owner_id: int, days_ago: int) -> TerminalRecording:
    ended = utcnow() - timedelta(days=days_ago)
    relative = f"recordings/test/{sandbox.id}-{days_ago}.cast"
    path = app.config["ACADEMY"].instance_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 2}\n')
    recording = TerminalRecording(
        sandbox_id=sandbox.id,
        user_id=owner_id,
        host="prod",
        started_at=ended - timedelta(minutes=30),
        ended_at=ended,
        path=relative,
        bytes=15,
    )
    db.session.add(recording)
    db.session.flush()
    return recording


def test_retention_keeps_evidence_longer_than_the_rest(app, session, make_user):
    trainee = make_user()
    passed, abandoned = _sandbox(trainee.id), _sandbox(trainee.id)
    db.session.add(
        LabSession(
            user_id=trainee.id,
            lab_slug="backup-verify",
            sandbox_id=passed.id,
            seed=1,
            values={},
            answers={},
            content_version="test",
            expires_at=utcnow(),
            completed_at=utcnow() - timedelta(days=100),
        )
    )
    old_evidence = _recording(app, passed, trainee.id, days_ago=90)
    older_evidence = _recording(app, passed, trainee.id, days_ago=200)
    old_other = _recording(app, abandoned, trainee.id, days_ago=40)
    recent_other = _recording(app, abandoned, trainee.id, days_ago=5)
    files = {r.id: app.config["ACADEMY"].instance_dir / r.path for r in (older_evidence, old_other)}

    assert prune_recordings(app.config["ACADEMY"]) == 2

    left = set(db.session.scalars(select(TerminalRecording.id)))
    assert left == {old_evidence.id, recent_other.id}
    assert not any(path.exists() for path in files.values())


def test_no_recording_starts_below_the_disk_reserve_or_past_the_budget(app, session, make_user):
    settings = app.config["ACADEMY"]
    assert recording_refusal(settings) is None
    reason = recording_refusal(settings.replace(disk_reserve_mb=10**9))
    assert reason is not None
    assert "below the 1000000000 MB reserve (ACADEMY_DISK_RESERVE_MB)" in reason
    trainee = make_user()
    big = _recording(app, _sandbox(trainee.id), trainee.id, days_ago=1)
    big.bytes = 1024**3
    db.session.flush()
    over = recording_refusal(settings.replace(recordings_max_gb=1))
    assert over is not None
    assert "the whole budget of 1 GB" in over
