"""Real runs for judge tests: two Python "candidates" that answer what the dataset says.

Each dataset row holds the text candidate `alpha` answers (`a`) and the one `beta`
answers (`b`), so a test writes the exact outputs the judge then grades, injections and
all. The run goes through the runner, like any other; only the judge differs per test.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.records.run import RunInfo
from fieldeval.runner import run_suite_async
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite

_BOT = """\
def alpha(request):
    return request.variables["a"]


def beta(request):
    return request.variables["b"]
"""

PASS_FAIL: dict[str, Any] = {
    "id": "offers-refund",
    "question": "Does the reply offer the customer a refund?",
    "pass_example": "We will refund the full amount.",
    "fail_example": "We cannot help with that.",
}
TONE: dict[str, Any] = {
    "id": "tone",
    "question": "How calm and neutral is the reply?",
    "scale": {
        "levels": [
            {"value": 1, "label": "hostile", "anchor": "Blames or mocks the customer."},
            {"value": 2, "label": "uneven", "anchor": "Mostly calm, with a loaded word."},
            {"value": 3, "label": "calm", "anchor": "Calm and neutral throughout."},
        ]
    },
}


class JudgeProject:
    """A suite in `folder` with candidates alpha and beta and a judge at `judge_url`."""

    def __init__(self, folder: Path, store: Store, judge_url: str) -> None:
        self.folder = folder
        self.store = store
        self.judge_url = judge_url
        # A module name of its own: Python caches imports by name across tests.
        self.module = f"judge_bot_{secrets.token_hex(4)}"
        (folder / f"{self.module}.py").write_text(_BOT, encoding="utf-8")

    def judge_candidate(self, **extra: Any) -> dict[str, Any]:
        return {
            "id": "judge",
            "provider": "openai",
            "model": "judge-model",
            "base_url": self.judge_url,
            "api_key_env": None,
            "retry": {"attempts": 3, "backoff_s": 0.01},
            "timeout_s": 5,
            "concurrency": 4,
            **extra,
        }

    def write(
        self,
        rows: Sequence[tuple[str, str]],
        *,
        rubric: Sequence[Mapping[str, Any]] = (PASS_FAIL,),
        judge: Mapping[str, Any] | None = None,
        references: Sequence[str] | None = None,
    ) -> LoadedSuite:
        """A suite over one example per (alpha's answer, beta's answer) row."""
        with (self.folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "a", "b", "ref"])
            for i, (a, b) in enumerate(rows):
                ref = references[i] if references else ""
                writer.writerow([f"e{i}", f"complaint number {i}", a, b, ref])
        dataset: dict[str, Any] = {"path": "data.csv", "id": "id", "input": "text"}
        if references:
            dataset["reference"] = "ref"
        suite = {
            "task": {
                "name": "replies",
                "description": "Reply to the customer's complaint in one or two sentences.",
                "prompt": "{{ text }}",
            },
            "dataset": dataset,
            "candidates": [
                {"id": "alpha", "provider": "python", "function": f"{self.module}:alpha"},
                {"id": "beta", "provider": "python", "function": f"{self.module}:beta"},
            ],
            "rubric": list(rubric),
            "judge": {"candidate": self.judge_candidate(), **(judge or {})},
        }
        path = self.folder / "suite.yaml"
        path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
        return load_suite(path)

    async def run(self, loaded: LoadedSuite) -> RunInfo:
        return await run_suite_async(loaded, self.store, use_cache=False)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    """A judge that passes an output when it says "refund"; shared by a module's tests."""
    with start_server("--config", json.dumps({"judge": {"pass_if": "refund"}})) as handle:
        yield handle


@pytest.fixture
def project(tmp_path: Path, store: Store, server: ServerHandle) -> JudgeProject:
    return JudgeProject(tmp_path, store, server.url)
