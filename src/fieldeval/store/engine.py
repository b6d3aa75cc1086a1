"""Opening a database: the URL, SQLite's pragmas, and migrations to the current schema."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

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
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from fieldeval.errors import StoreError
from fieldeval.store.tables import metadata

DEFAULT_DIR = Path(".fieldeval")
DEFAULT_FILE = "fieldeval.db"
# The newest migration; tests check it matches alembic's head so start-up can skip alembic.
HEAD_REVISION = "0003"

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
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError) as error:
        raise StoreError(f"cannot open the store at {_redacted(url)}: {error}") from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if _revision(engine) != HEAD_REVISION:
            _upgrade(engine)
    except OperationalError as error:
        raise StoreError(
            f"cannot open the store at {_redacted(url)}: {error.orig}",
            hint="check the path or URL, and that the database server is running",
        ) from error
    return engine


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
        except OperationalError as error:
            # The loser of the race sees the winner's tables; once the winner has committed,
            # the revision is current and there is nothing left to do.
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
        if inspect(connection).get_table_names():
            return False
        metadata.create_all(connection)
        alembic_version.create(connection)
        connection.execute(insert(alembic_version).values(version_num=HEAD_REVISION))
    return True


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable URL>"
