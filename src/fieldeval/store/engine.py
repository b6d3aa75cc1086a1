"""Opening a database: the URL, SQLite's pragmas, and migrations to the current schema.

A store is a SQLite file (the default) or a PostgreSQL database (a team store), named by a
`postgresql://` URL and reached through psycopg 3, the `postgres` extra.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from fieldeval.errors import ConfigError, StoreError
from fieldeval.store.tables import all_tables

DEFAULT_DIR = Path(".fieldeval")
DEFAULT_FILE = "fieldeval.db"
# The newest migration; tests check it matches alembic's head so start-up can skip alembic.
HEAD_REVISION = "0008"
T = TypeVar("T")
POSTGRES_HINT = "pip install 'fieldeval[postgres]'"
# Any fixed number: every fieldeval process that changes the schema takes this lock first.
_SCHEMA_LOCK = 0x6669656C64  # "field"

# Alembic's own bookkeeping table, as alembic creates it.
alembic_version = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def database_url(url: str | None = None) -> str:
    """The store URL: the argument, else $FIELDEVAL_DB, else SQLite under ./.fieldeval/."""
    url = url or os.environ.get("FIELDEVAL_DB")
    if url:
        return url if "://" in url else f"sqlite:///{Path(url)}"
    return f"sqlite:///{DEFAULT_DIR / DEFAULT_FILE}"


def open_engine(url: str) -> Engine:
    """An engine on `url`, with the schema migrated to the current version."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    url = with_driver(url)
    options: dict[str, Any] = {}
    if url.startswith("postgresql+psycopg://"):
        if importlib.util.find_spec("psycopg") is None:
            raise ConfigError(
                f"the store at {_redacted(url)} is PostgreSQL, which needs the 'postgres' extra",
                hint=POSTGRES_HINT,
            )
        options = {
            # A web UI may hold its pool for hours; a dropped connection is replaced, not raised.
            "pool_pre_ping": True,
            # Times come back in UTC, as reports print them, whatever the server's zone.
            "connect_args": {
                "connect_timeout": 10,
                "application_name": "fieldeval",
                "options": "-c timezone=UTC",
            },
        }
    try:
        engine = create_engine(url, **options)
    except (SQLAlchemyError, ImportError) as error:
        raise StoreError(f"cannot open the store at {_redacted(url)}: {error}") from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if _revision(engine) != HEAD_REVISION:
            _upgrade(engine)
    except DBAPIError as error:  # unreachable server, no such database, no permission, ...
        raise StoreError(
            f"cannot open the store at {_redacted(url)}: {error.orig}",
            hint="check the path or URL, and that the database server is running",
        ) from error
    return engine


def once_more_on_conflict(write: Callable[[], T]) -> T:
    """Run `write`, and once more if another writer inserted the same key meanwhile.

    Writes that look a row up and insert it when missing can both miss it when two
    processes race; the loser's retry finds the winner's row and takes the other branch.
    """
    try:
        return write()
    except IntegrityError:
        return write()


def with_driver(url: str) -> str:
    """`url` naming its driver: a plain `postgresql://` (or `postgres://`) means psycopg 3."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets a grader read while a run writes; busy_timeout waits instead of failing.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(engine: Engine) -> None:
    """Bring the schema to HEAD_REVISION, tolerating another process doing it at once."""
    for attempt in range(5):
        try:
            if not _create_if_new(engine):
                _migrate(engine)
            return
        except (OperationalError, ProgrammingError) as error:
            # The loser of the race sees the winner's tables; once the winner has committed,
            # the revision is current and there is nothing left to do. (PostgreSQL waits on
            # `_lock_schema` instead, so there the loser finds the schema made and current.)
            if "already exists" not in str(error.orig) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
            if _revision(engine) == HEAD_REVISION:
                return


def _create_if_new(engine: Engine) -> bool:
    """Create the current schema in an empty database, stamped with its revision.

    This is alembic's "create_all, then stamp head" recipe, done without importing alembic:
    a new store opens in a few milliseconds. A test checks that this schema and the one the
    migrations build are the same.
    """
    with engine.begin() as connection:
        _lock_schema(connection)
        if inspect(connection).get_table_names():
            return False
        all_tables().create_all(connection)
        alembic_version.create(connection)
        connection.execute(insert(alembic_version).values(version_num=HEAD_REVISION))
    return True


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        _lock_schema(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _lock_schema(connection: Connection) -> None:
    """On PostgreSQL, wait until no other process is changing the schema (until commit).

    Its DDL is transactional: without the lock, two processes creating the same table both
    get far enough that the second fails on a catalog index, not with "already exists".
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable URL>"
