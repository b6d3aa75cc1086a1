"""Fixtures every test folder may use: a store on SQLite and on PostgreSQL, the server behind it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.doubles import postgres

from fieldeval.store import Store


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Server]:
    """$FIELDEVAL_TEST_PG_URL's server, else a throwaway cluster started for this session."""
    with postgres.server() as started:
        yield started


@pytest.fixture
def pg_url(postgres_server: postgres.Server) -> Iterator[str]:
    """A `postgresql://` URL of a new empty database, dropped after the test."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store: a SQLite file that does not exist yet, or a new database.

    The file is `results.db` in the test's folder, where a command run there with
    `--db results.db` finds it too.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'results.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db_url(store_url: str) -> str:
    """The store's URL, for a command run as a user runs it (`--db URL`)."""
    return store_url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open store on each backend: every test that touches the store runs on both."""
    opened = Store.open(store_url)
    yield opened
    opened.close()
