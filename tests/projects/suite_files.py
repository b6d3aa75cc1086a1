"""Small suites on disk over one fake model server: `SuiteFiles` and its fixtures."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    """The fake OpenAI-style server in its own process, shared by a module's tests.

    Tests share it, so each uses prompts no other test sends (counts are per prompt).
    """
    with start_server() as handle:
        yield handle


class SuiteFiles:
    """Writes a suite (JSON is valid YAML) and its CSV into a test's folder."""

    def __init__(self, folder: Path, server_url: str) -> None:
        self.folder = folder
        self.server_url = server_url

    def candidate(self, cid: str = "fake", **overrides: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "id": cid,
            "provider": "openai",
            "model": "m",
            "base_url": self.server_url,
            "api_key_env": None,
            "concurrency": 8,
            "retry": {"attempts": 4, "backoff_s": 0.05},
            "timeout_s": 2,
        }
        config.update(overrides)
        return config

    def write(
        self,
        texts: Sequence[str],
        *,
        candidates: Sequence[dict[str, Any]] | None = None,
        checks: Sequence[dict[str, Any]] = ({"contains": "echo"},),
        name: str = "t",
        file: str = "suite.yaml",
    ) -> Path:
        """A suite over one example per text, with ids e0, e1, ..."""
        data = self.folder / "data.csv"
        with data.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text"])
            writer.writerows([f"e{i}", text] for i, text in enumerate(texts))
        suite = {
            "task": {"name": name, "description": "say hi", "prompt": "{{ text }}"},
            "dataset": {"path": data.name, "id": "id", "input": "text"},
            "candidates": list(candidates or [self.candidate()]),
            "checks": list(checks),
        }
        path = self.folder / file
        path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
        return path


@pytest.fixture
def suite_files(tmp_path: Path, server: ServerHandle) -> SuiteFiles:
    return SuiteFiles(tmp_path, server.url)
