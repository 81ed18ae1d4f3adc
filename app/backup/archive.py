"""Write a platform backup to one archive, and restore one into an empty installation.

The archive (`.tar.gz`) holds:

- `MANIFEST.json`: the format, when and by which schema revision it was made, the content
  version, the row count of every table and the SHA-256 of every other member;
- `db/<table>.jsonl`: every row of every table, one JSON object per line, in a form that does
  not depend on the database engine (a SQLite platform restores into PostgreSQL and back);
- `files/...`: the instance folder (terminal recordings, the development secret key, anything
  an operator keeps there) without the sandboxes' disks and without the SQLite database file,
  whose rows are already in `db/`.

Restoring needs an installation at the same schema revision whose tables are all empty, so
that nothing stored is overwritten: the command says what is wrong otherwise, and writes
nothing. Rows are inserted parents first in one transaction; PostgreSQL's id sequences are
moved past the restored ids.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.clock import utcnow
from app.extensions import db

FORMAT = 1
MANIFEST = "MANIFEST.json"
# Not part of a backup: the sandboxes' disks (disposable), the worker's engine report
# (sandboxes/report.py, rewritten every few seconds) and the SQLite file (its rows are).
SKIPPED_FOLDERS = {"sandbox-disks", "status"}
SQLITE_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal")
BATCH = 500


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, with the reason."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds or a restore put back."""

    path: Path
    revision: str
    content_version: str
    rows: dict[str, int]
    files: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- values to and from JSON -------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary) and isinstance(value, dict):
        return base64.b64decode(value["$base64"])
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and isinstance(value, str):
        return Decimal(value)
    return value


# -- what is in the database -------------------------------------------------------------------


def _revision(connection: sa.Connection | None = None) -> str:
    query = sa.text("SELECT version_num FROM alembic_version")
    try:
        found = (connection or db.session).execute(query).scalars()
        return ",".join(sorted(found))
    except sa.exc.DBAPIError:
        (connection or db.session).rollback()
        return ""


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _content_version(app: Flask) -> str:
    try:
        from app.content import get_catalog

        with app.app_context():
            return str(get_catalog().version)
    except Exception:  # a backup must not depend on the content validating
        return ""


def _instance_files(instance: Path) -> Iterator[Path]:
    if not instance.is_dir():
        return
    for root, folders, files in os.walk(instance):
        here = Path(root)
        if here == instance:
            folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS]
        folders.sort()
        for name in sorted(files):
            if name.endswith(SQLITE_SUFFIXES):
                continue
            path = here / name
            if path.is_file() and not path.is_symlink():
                yield path


# -- backup ------------------------------------------------------------------------------------


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def write_backup(app: Flask, target: Path) -> Summary:
    """Write the platform's database rows and instance files to target (a .tar.gz)."""
    settings = app.config["ACADEMY"]
    instance = Path(settings.instance_dir)
    target = target.resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    if instance.resolve() in target.parents:
        raise BackupError("Write the backup outside the instance folder it backs up.")
    sums: dict[str, str] = {}
    rows: dict[str, int] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with app.app_context(), tarfile.open(partial, "w:gz") as archive:
            # One consistent view of every table (a repeatable-read snapshot on PostgreSQL).
            options = (
                {"isolation_level": "REPEATABLE READ"}
                if db.engine.dialect.name == "postgresql"
                else {}
            )
            with db.engine.connect().execution_options(**options) as connection:
                revision = _revision(connection)
                if not revision:
                    raise BackupError(
                        "The database has no schema revision: run 'academy db upgrade'."
                    )
                for table in _tables():
                    lines = []
                    order = list(table.primary_key.columns) or list(table.columns)
                    try:
                        result = connection.execute(sa.select(table).order_by(*order))
                    except sa.exc.DBAPIError as error:
                        raise BackupError(
                            f"Table {table.name} does not match this release "
                            f"({error.orig}): run 'academy db upgrade' first."
                        ) from None
                    for row in result.mappings():
                        lines.append(json.dumps({k: _to_json(v) for k, v in row.items()}))
                    data = ("\n".join(lines) + ("\n" if lines else "")).encode()
                    name = f"db/{table.name}.jsonl"
                    _add_bytes(archive, name, data)
                    sums[name] = hashlib.sha256(data).hexdigest()
                    rows[table.name] = len(lines)
                connection.rollback()
            files = 0
            for path in _instance_files(instance):
                data = path.read_bytes()
                name = "files/" + path.relative_to(instance).as_posix()
                _add_bytes(archive, name, data)
                sums[name] = hashlib.sha256(data).hexdigest()
                files += 1
            content_version = _content_version(app)
            manifest = {
                "format": FORMAT,
                "created_at": utcnow().isoformat(),
                "revision": revision,
                "content_version": content_version,
                "database": db.engine.dialect.name,
                "rows": rows,
                "files": files,
                "sha256": sums,
            }
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
        partial.chmod(0o600)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(target, revision, content_version, rows, files)


# -- restore -----------------------------------------------------------------------------------


def _read_archive(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with tarfile.open(path, "r:gz") as archive:
            members: dict[str, bytes] = {}
            for member in archive.getmembers():
                if not member.isfile():
                    raise BackupError(f"{path}: unexpected member {member.name!r} (not a file).")
                pure = PurePosixPath(member.name)
                if pure.is_absolute() or ".." in pure.parts:
                    raise BackupError(f"{path}: member {member.name!r} points outside the backup.")
                handle = archive.extractfile(member)
                assert handle is not None
                members[member.name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from None
    if MANIFEST not in members:
        raise BackupError(f"{path} has no {MANIFEST}: it is not an Ops Academy backup.")
    try:
        manifest = json.loads(members.pop(MANIFEST))
    except ValueError as error:
        raise BackupError(f"{path}: {MANIFEST} is not valid JSON ({error}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r} is not {FORMAT}.")
    sums = manifest.get("sha256") or {}
    if set(sums) != set(members):
        missing = sorted(set(sums) - set(members))
        extra = sorted(set(members) - set(sums))
        raise BackupError(
            f"{path}: members differ from the manifest (missing {missing}, extra {extra})."
        )
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != sums[name]:
            raise BackupError(f"{path}: {name} does not match its checksum; the file is damaged.")
    return manifest, members


def restore_backup(app: Flask, source: Path) -> Summary:
    """Put a backup back into this installation, which must be empty and at the same revision."""
    settings = app.config["ACADEMY"]
    instance = Path(settings.instance_dir)
    manifest, members = _read_archive(source.resolve())
    with app.app_context():
        revision = _revision()
        if not revision:
            raise BackupError("This database has no schema: run 'academy db upgrade' first.")
        if revision != manifest["revision"]:
            raise BackupError(
                f"The backup is at schema revision {manifest['revision']}, this installation at "
                f"{revision}: restore with the release that made the backup."
            )
        tables = {table.name: table for table in _tables()}
        unknown = sorted(
            name[3:-6] for name in members if name.startswith("db/") and name[3:-6] not in tables
        )
        if unknown:
            raise BackupError(f"The backup has tables this release does not know: {unknown}.")
        used = [
            name
            for name, table in tables.items()
            if db.session.scalar(sa.select(sa.func.count()).select_from(table))
        ]
        if used:
            raise BackupError(
                "Restore needs an empty installation; these tables already hold rows: "
                + ", ".join(sorted(used))
            )
        clashes = [
            name[len("files/") :]
            for name in members
            if name.startswith("files/") and (instance / name[len("files/") :]).exists()
        ]
        if clashes:
            raise BackupError(
                f"The instance folder {instance} already holds files the backup would replace: "
                + ", ".join(sorted(clashes)[:5])
            )
        rows: dict[str, int] = {}
        try:
            for table in _tables():
                data = members.get(f"db/{table.name}.jsonl", b"")
                batch: list[dict[str, Any]] = []
                count = 0
                for number, line in enumerate(data.decode().splitlines(), start=1):
                    try:
                        raw = json.loads(line)
                        batch.append(
                            {
                                key: _from_json(table.columns[key], value)
                                for key, value in raw.items()
                                if key in table.columns
                            }
                        )
                    except (ValueError, KeyError) as error:
                        raise BackupError(f"db/{table.name}.jsonl line {number}: {error}") from None
                    if len(batch) >= BATCH:
                        db.session.execute(sa.insert(table), batch)
                        count += len(batch)
                        batch = []
                if batch:
                    db.session.execute(sa.insert(table), batch)
                    count += len(batch)
                rows[table.name] = count
            _advance_sequences(list(tables.values()))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    files = 0
    for name, data in members.items():
        if not name.startswith("files/"):
            continue
        path = instance / name[len("files/") :]
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
        os.chmod(handle.name, 0o600)
        os.replace(handle.name, path)
        files += 1
    return Summary(source, revision, str(manifest.get("content_version", "")), rows, files)


def _advance_sequences(tables: list[sa.Table]) -> None:
    """Move PostgreSQL's id sequences past the restored ids (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = db.session.scalar(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence:
                db.session.execute(
                    sa.text(
                        f"SELECT setval(:sequence, COALESCE((SELECT max({column.name}) "  # noqa: S608
                        f"FROM {table.name}), 0) + 1, false)"
                    ),
                    {"sequence": sequence},
                )
