"""`academy backup` and `academy restore`: a round trip into an empty installation on real
PostgreSQL (and from SQLite), refusals that leave what is stored untouched."""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.auth.models import Role, User
from app.auth.services import create_user
from app.backup.archive import BackupError, restore_backup, write_backup
from app.certification import certificates as issuing
from app.content import get_catalog
from app.coordination.services import add_member, create_cohort
from app.extensions import db
from tests.browser import build_app
from tests.certification.conftest import satisfy_everything
from tests.conftest import PASSWORD


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }


def _rows(app: Flask, table_name: str) -> list[tuple]:
    with app.app_context():
        table = db.metadata.tables[table_name]
        return [tuple(r) for r in db.session.execute(sa.select(table).order_by(*table.primary_key))]


def _verify_page(app: Flask, code: str) -> str:
    page = app.test_client().get(f"/verify/{code}")
    assert page.status_code == 200
    return re.sub(r'name="csrf[-_]token"[^>]*>', "", page.get_data(as_text=True))


@pytest.fixture(scope="module")
def populated(pg_server) -> Iterator[tuple[Flask, str, int]]:
    """A platform with a certified trainee (lessons, quizzes, labs, approved work, signature),
    a recording file on disk; returns the app, the certificate's code and the trainee's id."""
    app = build_app(pg_server.create_database("academy_backup_source"))
    with app.app_context():
        coordinator = create_user("coord@backup.test", "Coordinator", PASSWORD, Role.COORDINATOR)
        trainee = create_user("trainee@backup.test", "Trainee", PASSWORD, Role.TRAINEE)
        cohort = create_cohort("Backup cohort", date.today() - timedelta(days=14), [coordinator.id])
        add_member(cohort.id, trainee.id)
        db.session.commit()
        satisfy_everything(trainee, coordinator, get_catalog())
        db.session.commit()
        code = issuing.issue_certificate(trainee.id, coordinator, get_catalog()).code
        db.session.commit()
        trainee_id = trainee.id
    recordings = Path(app.config["ACADEMY"].instance_dir) / "recordings" / "2026-12"
    recordings.mkdir(parents=True)
    (recordings / "evidence.cast").write_bytes(b'{"version": 2}\n[0.1, "o", "$ "]\n')
    yield app, code, trainee_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_backup_restored_into_an_empty_installation_shows_the_same_platform(
    populated, pg_server, tmp_path
):
    source, code, trainee_id = populated
    archive = tmp_path / "platform.tar.gz"
    made = write_backup(source, archive)
    assert made.rows["users"] == 2
    assert made.rows["certificates"] == 1
    assert made.files >= 1

    target = build_app(pg_server.create_database("academy_backup_target"))
    restored = restore_backup(target, archive)
    assert restored.rows == made.rows
    # Every table holds the same rows, value for value.
    assert _counts(target) == _counts(source)
    for table in ("users", "quiz_attempts", "lab_sessions", "attestations", "certificates"):
        assert _rows(target, table) == _rows(source, table)
    # The public verify page answers the same, the recording is back byte for byte.
    assert _verify_page(target, code) == _verify_page(source, code)
    recording = Path("recordings/2026-12/evidence.cast")
    instance = Path(target.config["ACADEMY"].instance_dir)
    assert (instance / recording).read_bytes() == (
        Path(source.config["ACADEMY"].instance_dir) / recording
    ).read_bytes()
    # The trainee logs in with the same password, and new rows get fresh ids.
    client = target.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    login = client.post(
        "/login", data={"email": "trainee@backup.test", "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302
    with target.app_context():
        newcomer = create_user("new@backup.test", "Newcomer", PASSWORD, Role.TRAINEE)
        db.session.commit()
        assert newcomer.id > trainee_id


def test_restore_refuses_an_installation_that_holds_data_and_changes_nothing(populated, tmp_path):
    source, _, _ = populated
    archive = tmp_path / "again.tar.gz"
    write_backup(source, archive)
    before = _counts(source)
    with pytest.raises(BackupError, match="empty installation; these tables already hold rows"):
        restore_backup(source, archive)
    assert _counts(source) == before


def test_a_damaged_or_foreign_archive_is_refused_with_the_reason(populated, pg_server, tmp_path):
    source, _, _ = populated
    good = tmp_path / "good.tar.gz"
    write_backup(source, good)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(good, "r:gz") as original, tarfile.open(damaged, "w:gz") as copy:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name == "db/users.jsonl":
                data = data.replace(b"Trainee", b"Mallory")
            member.size = len(data)
            import io

            copy.addfile(member, io.BytesIO(data))
    target = build_app(pg_server.create_database("academy_backup_damaged"))
    with pytest.raises(BackupError, match=r"db/users\.jsonl does not match its checksum"):
        restore_backup(target, damaged)
    assert sum(_counts(target).values()) == 0
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        archive.add(__file__, arcname="notes.txt")
    with pytest.raises(BackupError, match="not an Ops Academy backup"):
        restore_backup(target, foreign)
    with pytest.raises(BackupError, match="already exists"):
        write_backup(source, good)


def test_a_sqlite_platform_restores_into_postgresql(tmp_path, pg_server):
    sqlite_app = build_app(f"sqlite:///{tmp_path / 'academy.sqlite3'}")
    with sqlite_app.app_context():
        user = create_user("solo@backup.test", "Solo", PASSWORD, Role.ADMIN)
        db.session.commit()
        user_id = user.id
    archive = tmp_path / "sqlite.tar.gz"
    write_backup(sqlite_app, archive)
    with tarfile.open(archive) as opened:
        assert not any(name.endswith(".sqlite3") for name in opened.getnames())
    target = build_app(pg_server.create_database("academy_backup_from_sqlite"))
    restore_backup(target, archive)
    with target.app_context():
        restored = db.session.get(User, user_id)
        assert restored is not None
        assert restored.email == "solo@backup.test"
