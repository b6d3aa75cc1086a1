"""Fixtures every test folder may use: a PostgreSQL server for the session, a database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.doubles import postgres


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
