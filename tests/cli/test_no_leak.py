"""A known API key, echoed back by the server on a 401, reaches no file and no output.

Every command a team runs after a run (show, cost, failures, export, report) is run as a
user runs it, and everything it printed or wrote is searched for the key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.doubles.fixtures import start_server

SECRET = "sk-leak-test-7f3a9c1e5b"


def fieldeval(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env |= {"COLUMNS": "200", "LEAK_TEST_KEY": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, "--db", "results.db"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(300)
def test_the_key_is_nowhere_after_a_run_and_every_report(tmp_path: Path) -> None:
    texts = ["alpha beta", "gamma delta", "[[fail:401]] refused", "epsilon <b>zeta</b>"]
    (tmp_path / "data.csv").write_text(
        "id,text\n" + "".join(f"e{i},{text}\n" for i, text in enumerate(texts)), encoding="utf-8"
    )
    with start_server() as server:
        hosted = {
            "provider": "openai",
            "base_url": server.url,
            "api_key_env": "LEAK_TEST_KEY",
            "retry": {"attempts": 1},
        }
        suite = {
            "task": {"name": "leak", "description": "Echo the text.", "prompt": "{{ text }}"},
            "dataset": {"path": "data.csv", "id": "id"},
            "candidates": [
                {"id": "mini", "model": "gpt-4o-mini", **hosted},
                {"id": "priced", "model": "mine", "price": {"input_per_mtok": 1}, **hosted},
            ],
            "checks": [{"contains": "echo", "id": "echoes"}],
            "failure_modes": [{"id": "silent", "definition": "No echo.", "check": "echoes"}],
            "volume": {"requests_per_month": 1000},
        }
        (tmp_path / "suite.yaml").write_text(json.dumps(suite), encoding="utf-8")
        runs = [fieldeval(tmp_path, "run", "suite.yaml")]
        assert runs[0].returncode == 0, runs[0].stderr
        assert server.stats()["calls"] == 8
    found = re.search(r"^run (\S+)$", runs[0].stdout, re.MULTILINE)
    assert found is not None, runs[0].stdout
    run_id = found.group(1)
    runs += [
        fieldeval(tmp_path, "show", run_id),
        fieldeval(tmp_path, "cost", "suite.yaml", "--json", "cost.json"),
        fieldeval(tmp_path, "failures", "suite.yaml"),
        fieldeval(tmp_path, "export", run_id, "--format", "jsonl", "--out", "out.jsonl"),
        fieldeval(tmp_path, "export", run_id, "--format", "csv", "--out", "out.csv"),
        fieldeval(tmp_path, "report", "suite.yaml", "--markdown", "report.md"),
    ]
    for result in runs:
        assert result.returncode == 0, (result.args, result.stderr)
        assert SECRET not in result.stdout + result.stderr, result.args

    written = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    assert {
        "results.db",
        "cost.json",
        "out.jsonl",
        "out.csv",
        "fieldeval-report.html",
        "report.md",
    } <= set(written)
    for name, content in written.items():
        assert SECRET.encode() not in content, name
    # The refusal itself is kept, with the key cut out of the server's message.
    exported = [json.loads(line) for line in written["out.jsonl"].splitlines()]
    refused = [row for row in exported if row["example_id"] == "e2"]
    assert len(refused) == 2
    assert all("Incorrect API key" in (row["error_message"] or "") for row in refused)
