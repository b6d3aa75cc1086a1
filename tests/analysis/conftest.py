"""Fixtures for analysis tests: a fresh SQLite store and a bot project in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analysis.builders import BotProject

from fieldeval.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    yield opened
    opened.close()


@pytest.fixture
def project(tmp_path: Path, store: Store) -> BotProject:
    return BotProject(tmp_path, store)
