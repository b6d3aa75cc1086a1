"""A throwaway PostgreSQL server for tests, and a fresh database on it per test.

`$FIELDEVAL_TEST_PG_URL` (a server URL whose user may create databases) is used when set;
otherwise a cluster is made with Debian's binaries in a temporary folder, listening on
127.0.0.1 at a free port with trust authentication, and removed at the end. PostgreSQL
refuses to run as root, so as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import URL, make_url

ENV_URL = "FIELDEVAL_TEST_PG_URL"
INSTALL_HINT = "install PostgreSQL's server (Debian: `apt-get install postgresql`)"
START_TIMEOUT_S = 30.0


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be had for the tests."""


@dataclass(frozen=True)
class Server:
    """A running server; `url` names its admin database, with the user that may create more."""

    url: URL

    def database_url(self, name: str) -> str:
        """A `postgresql://` URL of database `name` on this server, password included."""
        return self.url.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False
        )

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        url = self.url
        return psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
        )

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new empty database for one test, dropped (connections and all) afterwards."""
        name = f"fieldeval_test_{uuid.uuid4().hex[:12]}"
        with self._connect() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.database_url(name)
        finally:
            with self._connect() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bin_dir() -> Path:
    """The folder of `initdb` and `postgres`: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresUnavailable(
            f"the PostgreSQL tests need a server: no `initdb` on PATH or under "
            f"/usr/lib/postgresql; {INSTALL_HINT}, or set {ENV_URL} to a server URL"
        )
    return versions[-1].parent


@contextmanager
def server() -> Iterator[Server]:
    """The server named by $FIELDEVAL_TEST_PG_URL, else a throwaway one for the block."""
    given = os.environ.get(ENV_URL)
    if given:
        yield Server(make_url(given))
        return
    with throwaway_server() as started:
        yield started


@contextmanager
def throwaway_server() -> Iterator[Server]:
    """initdb into a temporary folder, start `postgres` there, and remove it all afterwards."""
    binaries = bin_dir()
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix="fieldeval-pg-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = _as_user(owner)
        data, log = root / "data", root / "server.log"
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=root,
            **as_owner,
        )
        port = _free_port()
        with log.open("wb") as log_file:
            # Durability is not under test: skip fsync so the suite stays fast.
            process = subprocess.Popen(
                [
                    str(binaries / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-k",
                    str(root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=root,
                **as_owner,
            )
        started = Server(URL.create("postgresql", username="postgres", host="127.0.0.1", port=port))
        _wait_until_ready(started, process, log)
        yield started
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _owner() -> pwd.struct_passwd | None:
    """The user to run the server as: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as error:
        raise PostgresUnavailable(
            f"PostgreSQL will not run as root and there is no `postgres` user; {INSTALL_HINT}"
        ) from error


def _as_user(owner: pwd.struct_passwd | None) -> dict[str, Any]:
    if owner is None:
        return {}
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


def _run(command: list[str], **options: Any) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, **options
    )
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"`{' '.join(command)}` failed ({result.returncode}): {result.stderr.strip()}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(started: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise PostgresUnavailable(f"postgres exited at start: {log.read_text()[-2000:]}")
        try:
            with started._connect():
                return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"postgres did not accept connections in {START_TIMEOUT_S:.0f}s: {error}"
                ) from error
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT is postgres's "fast" shutdown: it ends open sessions instead of waiting for them.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
