"""Exports of a real run: JSON Lines, CSV and `fieldeval.load_run`, checked against the store."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import start_server
from tests.projects.graded import FORMULA

import fieldeval
from fieldeval.records.run import RunInfo, StoredOutput
from fieldeval.report.results_export import csv_cell, export_run, result_table
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite


def expected(output: StoredOutput) -> dict[str, Any]:
    """The export's fields that come straight from the store."""
    return {
        "candidate": output.candidate_id,
        "example_id": output.example_id,
        "repeat": output.repeat,
        "output": output.text,
        "error_kind": output.error_kind,
        "error_message": output.error_message,
        "input_tokens": output.input_tokens,
        "output_tokens": output.output_tokens,
        "usage_estimated": output.usage_estimated,
        "latency_ms": output.latency_ms,
        "attempts": output.attempts,
        "from_cache": output.from_cache,
        "passed": output.passed,
    }


def test_jsonl_holds_every_output_as_the_store_has_it(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store, tmp_path: Path
) -> None:
    _, info = graded_run
    out = tmp_path / "out" / "results.jsonl"
    export_run(store, info.id, fmt="jsonl", out=out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stored = store.outputs(info.id)
    assert len(rows) == len(stored) == 6
    for row, output in zip(rows, stored, strict=True):
        assert {k: row[k] for k in expected(output)} == expected(output)
        assert row["run_id"] == info.id
        checks = {c.check_id: c for c in output.checks}
        for check_id in ("greets", "short"):
            found = checks.get(check_id)
            assert row[f"check:{check_id}"] == (found.passed if found else None)
            assert row[f"check:{check_id}:reason"] == (found.reason if found else None)

    by_key = {(r["candidate"], r["example_id"]): r for r in rows}
    a2 = by_key[("sly", "a2")]
    assert a2["output"] == FORMULA  # JSON keeps the text exactly
    assert a2["input"] == "big wide world" and a2["slice:group"] == "y"
    assert a2["criterion:friendly:people"] is False
    assert a2["criterion:friendly:judge"] is None
    # It also failed `friendly`, which no mode names: unclassified, never no failure.
    assert a2["failure_modes"] == ["no-greeting", "unclassified"]
    assert by_key[("polite", "a1")]["criterion:friendly:people"] is True
    assert by_key[("polite", "a1")]["failure_modes"] == []
    a3 = by_key[("sly", "a3")]
    assert a3["error_kind"] == "app_error" and a3["output"] is None
    assert "the app fell over" in a3["error_message"]
    assert a3["check:greets"] is None and a3["passed"] is False
    assert list(rows[0]) == list(result_table(store, info.id).columns)


def test_csv_is_flat_and_neutralises_formulas(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store, tmp_path: Path
) -> None:
    _, info = graded_run
    out = tmp_path / "results.csv"
    export_run(store, info.id, fmt="csv", out=out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    stored = store.outputs(info.id)
    assert len(rows) == len(stored)
    for row, output in zip(rows, stored, strict=True):
        for key, value in expected(output).items():
            if key == "output" and value is not None and value.startswith("="):
                continue
            assert row[key] == csv_cell(value), key
    by_key = {(r["candidate"], r["example_id"]): r for r in rows}
    # A spreadsheet would run the formula; the leading quote makes it text.
    assert by_key[("sly", "a2")]["output"] == "'" + FORMULA
    assert by_key[("sly", "a2")]["failure_modes"] == "no-greeting;unclassified"
    assert by_key[("sly", "a2")]["check:greets"] == "false"
    assert by_key[("polite", "a1")]["criterion:friendly:people"] == "true"
    assert by_key[("sly", "a3")]["output"] == ""
    assert csv_cell("-1 refund") == "'-1 refund" and csv_cell("@sum") == "'@sum"
    assert csv_cell(-1.5) == "-1.5"  # numbers are numbers, not formulas
    assert not list(tmp_path.glob("*.tmp"))  # the temp file was renamed, none left


def test_load_run_is_a_dataframe_of_the_same_rows(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store, tmp_path: Path
) -> None:
    loaded, info = graded_run
    table = result_table(store, info.id)
    frame = fieldeval.load_run(info.id, db=store.url)
    assert list(frame.columns) == list(table.columns)
    assert len(frame) == len(table.rows)
    assert frame["example_id"].tolist() == [r["example_id"] for r in table.rows]
    assert frame["failure_modes"].tolist() == [r["failure_modes"] for r in table.rows]
    latest = fieldeval.load_run(db=store.url, suite=loaded.path)  # the suite's latest run
    assert latest["run_id"].unique().tolist() == [info.id]


def test_fieldeval_export_end_to_end(
    graded_run: tuple[LoadedSuite, RunInfo], store: Store, tmp_path: Path
) -> None:
    _, info = graded_run
    db = store.url
    to_stdout = fieldeval_cli(tmp_path, "export", info.id[:12], "--format", "csv", "--db", db)
    assert to_stdout.returncode == 0, to_stdout.stderr
    rows = list(csv.DictReader(io.StringIO(to_stdout.stdout)))
    assert len(rows) == 6 and rows[0]["run_id"] == info.id

    out = tmp_path / "r.jsonl"
    to_file = fieldeval_cli(tmp_path, "export", info.id, "--out", str(out), "--db", db)
    assert to_file.returncode == 0, to_file.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6
    assert "wrote 6 rows" in to_file.stdout

    unknown = fieldeval_cli(tmp_path, "export", "nope", "--db", db)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: run 'nope'")


def fieldeval_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_api_key_never_reaches_an_export(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-EXPORT-SECRET-42"
    monkeypatch.setenv("EXPORT_KEY", secret)
    (tmp_path / "data.csv").write_text("id,text\nk1,keyed hello\nk2,keyed bye\n")
    with start_server() as server:
        suite = {
            "task": {"name": "keys", "description": "Echo.", "prompt": "{{ text }}"},
            "dataset": {"path": "data.csv", "id": "id"},
            "candidates": [
                {
                    "id": "api",
                    "provider": "openai",
                    "model": "m",
                    "base_url": server.url,
                    "api_key_env": "EXPORT_KEY",
                    "timeout_s": 5,
                }
            ],
            "checks": [{"contains": "keyed"}],
        }
        (tmp_path / "suite.yaml").write_text(json.dumps(suite), encoding="utf-8")
        info = run_suite(load_suite(tmp_path / "suite.yaml"), store)
    assert all(o.ok for o in store.outputs(info.id))
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"keys.{fmt}"
        export_run(store, info.id, fmt=fmt, out=path)
        text = path.read_text(encoding="utf-8")
        assert "keyed" in text  # the export is not empty
        assert secret not in text
    assert secret not in fieldeval.load_run(info.id, db=store.url).to_csv()


def test_load_run_without_pandas_names_the_install_command(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "sys.modules['pandas'] = None  # as if it were not installed\n"
        "import fieldeval\n"
        "from fieldeval.errors import ConfigError\n"
        "try:\n"
        "    fieldeval.load_run('x', db=sys.argv[1])\n"
        "except ConfigError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "needs pandas" in result.stdout
    assert "pip install 'fieldeval[pandas]'" in result.stdout
