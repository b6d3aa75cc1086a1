"""Fixtures for judge tests: the fake model server in judge mode, a store, a project."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.doubles.fixtures import ServerHandle, start_server
from tests.grading.judge_project import JudgeProject

from fieldeval.store import Store


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    """A judge that passes an output when it says "refund"; shared by a module's tests."""
    with start_server("--config", json.dumps({"judge": {"pass_if": "refund"}})) as handle:
        yield handle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    yield opened
    opened.close()


@pytest.fixture
def project(tmp_path: Path, store: Store, server: ServerHandle) -> JudgeProject:
    return JudgeProject(tmp_path, store, server.url)
