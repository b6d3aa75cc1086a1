"""`fieldeval cost SUITE [RUN]`, run as a user runs it, on a real stored run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.projects.cost import CostProject, answer, usage

from fieldeval.cost.spend import run_cost
from fieldeval.records.run import RunInfo
from fieldeval.results.run_data import read_run
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite

IDS = [f"e{i}" for i in range(12)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    yield opened
    opened.close()


@pytest.fixture
def stored_run(tmp_path: Path, store: Store) -> tuple[LoadedSuite, RunInfo]:
    project = CostProject(tmp_path, store)
    loaded = project.write(
        IDS,
        {"cheap": {"input_per_mtok": 0.15, "output_per_mtok": 0.6}, "dear": {"per_call": 0.01}},
        volume={"requests_per_month": 300_000, "low": 100_000, "high": 900_000},
        leaderboards=[{"name": "Arena", "scores": {"cheap": 1300, "dear": 1200}}],
    )
    table = {
        "cheap": {e: answer("ok" if i % 4 else "nope", usage(900, 300)) for i, e in enumerate(IDS)},
        "dear": {e: answer("ok", usage(900, 300)) for e in IDS},
    }
    return loaded, project.run(loaded, table)


def fieldeval(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, "--db", str(folder / "results.db")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_table_shows_spend_the_projection_and_the_trade_off(
    tmp_path: Path, stored_run: tuple[LoadedSuite, RunInfo]
) -> None:
    _, info = stored_run
    shown = fieldeval(tmp_path, "cost", "suite.yaml")  # the latest run by default
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert f"cost of run {info.id}" in out
    for label in ("per request", "per success", "monthly", "scenarios", "frontier"):
        assert label in out
    # cheap passes 9 of 12, dear all 12: 3 discordant examples cannot separate them.
    assert "cheap and dear cannot be separated with n=12 (dear +25 points" in out
    assert "a month at 300,000 requests" in out
    assert "Arena beside this task" in out and "Arena puts cheap ahead" in out
    # Every request of both costs the same (900 in, 300 out): no zero-width interval is shown.
    row = next(line for line in out.splitlines() if line.startswith("│ per request"))
    assert row.count("(the same on all 12: no interval)") == 2, row
    assert not re.search(r"\[(\$[\d.]+), \1\]", out), out


def test_json_carries_the_same_numbers(
    tmp_path: Path, store: Store, stored_run: tuple[LoadedSuite, RunInfo]
) -> None:
    loaded, info = stored_run
    shown = fieldeval(tmp_path, "cost", "suite.yaml", "--run", info.id[:17], "--json", "-")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)  # nothing but the JSON on stdout
    expected = run_cost(loaded.suite, read_run(store, info.id))
    assert data["run_id"] == info.id
    assert data["kind"] == "cost"
    assert data["cost"]["total_usd"] == pytest.approx(expected.total_usd)
    for got, want in zip(data["cost"]["candidates"], expected.candidates, strict=True):
        assert got["candidate_id"] == want.candidate_id
        assert got["price"]["source"] == "suite"
        assert got["total_usd"] == pytest.approx(want.total_usd)
        assert want.per_request is not None and want.monthly is not None
        assert got["per_request"]["value"] == pytest.approx(want.per_request.value)
        assert got["per_request"]["low"] == pytest.approx(want.per_request.low)
        assert got["monthly"]["total"]["high"] == pytest.approx(want.monthly.total.high)
    assert [p["candidate_id"] for p in data["pareto"]] == ["cheap", "dear"]
    assert "cannot be separated" in data["trade_offs"][0]["sentence"]
    assert data["rankings"][0]["leaderboard"]["name"] == "Arena"
    assert data["rankings"][0]["reversed_pairs"][0]["ahead_here"] == "dear"


def test_json_to_a_file_keeps_the_table(
    tmp_path: Path, stored_run: tuple[LoadedSuite, RunInfo]
) -> None:
    shown = fieldeval(tmp_path, "cost", "suite.yaml", "--json", "cost.json")
    assert shown.returncode == 0, shown.stderr
    assert "cost of run" in shown.stdout
    assert json.loads((tmp_path / "cost.json").read_text(encoding="utf-8"))["format"] == 1


def test_an_unknown_run_exits_2_saying_so(
    tmp_path: Path, stored_run: tuple[LoadedSuite, RunInfo]
) -> None:
    shown = fieldeval(tmp_path, "cost", "suite.yaml", "--run", "no-such-run")
    assert shown.returncode == 2
    assert "run 'no-such-run' matches no run" in shown.stderr
    assert "fieldeval runs" in shown.stderr  # the hint: where to find the ids
