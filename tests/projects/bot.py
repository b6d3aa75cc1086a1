"""Real runs for analysis tests: through the runner with a Python bot, or saved directly.

`BotProject` writes a suite whose candidate is a Python function in the test's folder; the
function answers from a JSON table the test rewrites between runs, so two runs of one
suite differ exactly where the test says. `save_run` stores synthetic pass/fail outcomes
through the public `Store` API, for simulations that would be slow through the runner.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fieldeval.errors import ErrorKind
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion
from fieldeval.records.example import Dataset, Example
from fieldeval.records.run import OutputKey, OutputRecord, RunInfo
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

CHECKS: tuple[dict[str, Any], ...] = (
    {"contains": "ok", "id": "correct"},
    {"not_contains": "SSN", "id": "no-pii", "severity": "critical"},
)

# Answers are looked up by table name and example id. A list gives one answer per call in
# turn (repeats that differ); "RAISE" makes the app fail; a dict may carry `usage`.
_BOT = """\
import json
import pathlib
import threading

_HERE = pathlib.Path(__file__).parent
_calls = {}
_lock = threading.Lock()


def _make(table):
    def answer(request):
        raw = (_HERE / f"{table}.json").read_text()
        value = json.loads(raw)[request.variables["id"]]
        if isinstance(value, list):
            with _lock:
                turn = _calls.get((raw, request.variables["id"]), 0)
                _calls[(raw, request.variables["id"])] = turn + 1
            value = value[turn % len(value)]
        if value == "RAISE":
            raise RuntimeError("the app broke")
        return value

    return answer


answers = _make("answers")
other = _make("other")
"""


class BotProject:
    """A suite on disk whose candidates are functions of one bot module in `folder`."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        # A module name of its own: Python caches imports by name across tests.
        self.module = f"bot_{secrets.token_hex(4)}"
        (folder / f"{self.module}.py").write_text(_BOT, encoding="utf-8")

    def candidate(self, cid: str = "bot", table: str = "answers", **extra: Any) -> dict[str, Any]:
        return {"id": cid, "provider": "python", "function": f"{self.module}:{table}", **extra}

    def write(
        self,
        example_ids: Sequence[str],
        *,
        candidates: Sequence[dict[str, Any]] | None = None,
        checks: Sequence[dict[str, Any]] = CHECKS,
        clusters: Sequence[str] | None = None,
        description: str = "Answer ok.",
        file: str = "suite.yaml",
    ) -> Path:
        """A suite over one example per id (JSON is valid YAML); returns its path."""
        with (self.folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "group"])
            for i, example_id in enumerate(example_ids):
                group = clusters[i] if clusters else ""
                writer.writerow([example_id, f"question {example_id}", group])
        dataset: dict[str, Any] = {"path": "data.csv", "id": "id", "input": "text"}
        if clusters is not None:
            dataset["cluster"] = "group"
        suite = {
            "task": {"name": "t", "description": description, "prompt": "{{ text }}"},
            "dataset": dataset,
            "candidates": list(candidates or [self.candidate()]),
            "checks": list(checks),
        }
        path = self.folder / file
        path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
        return path

    def run(
        self,
        answers: Mapping[str, Any],
        *,
        other: Mapping[str, Any] | None = None,
        suite: str = "suite.yaml",
        repeats: int = 1,
    ) -> RunInfo:
        """Run the suite with the bot answering from these tables, without the cache."""
        for table, values in (("answers", answers), ("other", other or {})):
            (self.folder / f"{table}.json").write_text(json.dumps(values), encoding="utf-8")
        loaded = load_suite(self.folder / suite)
        return run_suite(loaded, self.store, repeats=repeats, use_cache=False)


def save_dataset(store: Store, n: int) -> str:
    """A dataset of n examples e0..e{n-1}; returns its hash."""
    examples = tuple(Example(id=f"e{i}", fields={}, input=f"question {i}") for i in range(n))
    content_hash = f"s256:synthetic-{n}"
    store.save_dataset(Dataset(Path("synthetic.csv"), examples, content_hash, n))
    return content_hash


def save_run(
    store: Store,
    dataset_hash: str,
    results: Mapping[str, Mapping[str, Sequence[bool | None]]],
    *,
    suite: Mapping[str, Any] | None = None,
) -> RunInfo:
    """A finished run: candidate -> example -> one result per repeat.

    True passes the check "correct", False fails it, None is an app error.
    """
    repeats = max(len(r) for by_example in results.values() for r in by_example.values())
    run = RunInfo(
        id=f"run-{secrets.token_hex(6)}",
        suite_name="t",
        suite_path="suite.yaml",
        suite_hash="h",
        suite=dict(suite or {"checks": [{"id": "correct", "severity": "major"}]}),
        dataset_hash=dataset_hash,
        status="running",
        repeats=repeats,
        n_planned=sum(len(r) for by_example in results.values() for r in by_example.values()),
        fieldeval_version="test",
        started_at=datetime.now(UTC),
        finished_at=None,
    )
    store.create_run(run, [(cid, {"id": cid}, cid) for cid in results])
    store.save_outputs(
        run.id,
        [
            _record(cid, example_id, repeat, result)
            for cid, by_example in results.items()
            for example_id, outcomes in by_example.items()
            for repeat, result in enumerate(outcomes)
        ],
        replace=False,
    )
    store.set_status(run.id, "finished")
    return store.run(run.id)


def _record(cid: str, example_id: str, repeat: int, result: bool | None) -> OutputRecord:
    key = OutputKey(cid, example_id, repeat)
    if result is None:
        return OutputRecord(key, "h", None, error_kind=ErrorKind.APP_ERROR, error_message="broke")
    checks = [CheckResult("correct", result, "ok" if result else "wrong")]
    return OutputRecord(key, "h", Completion(text="ok" if result else "no"), checks)


@pytest.fixture
def project(tmp_path: Path, store: Store) -> BotProject:
    return BotProject(tmp_path, store)
