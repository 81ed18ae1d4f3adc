"""A throwaway PostgreSQL server for the test suite, started from the server binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    """A running server that accepts trusted connections on 127.0.0.1."""

    bin_dir: Path
    data_dir: Path
    port: int
    as_user: str | None
    options: str = ""

    def url(self, database: str) -> str:
        """Return a SQLAlchemy URL for a database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop the server (fast: connections are cut), wait, and start it again."""
        import time

        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        time.sleep(down_seconds)
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.data_dir / "server.log"),
            "-o", self.options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bin_dir() -> Path | None:
    """Return the newest installed PostgreSQL server binary folder."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> PostgresServer:
    """Initialise and start a server in a temporary folder."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries are missing: run `make test` (it installs them) "
            "or `apt-get install postgresql`"
        )
    # PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
    as_user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="academy-pg-"))
    data = root / "data"
    data.mkdir()
    if as_user:
        info = pwd.getpwnam(as_user)
        for path in (root, data):
            os.chown(path, info.pw_uid, info.pw_gid)
        root.chmod(0o755)
    server = PostgresServer(bin_dir, data, _free_port(), as_user)
    server._run(
        "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
    )
    # Durability is pointless for a throwaway server; speed is not.
    options = (
        f"-p {server.port} -k {data} -h 127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    server.options = options
    server._run(
        "pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-o", options, "-w", "start"
    )
    return server
