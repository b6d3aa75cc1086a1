"""`fieldeval edges` and `fieldeval run` on a suite with `edges:`, run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.edges.registry import GENERATORS
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore

ROWS = [
    ("a1", "I was charged a $35 late fee on 03/04/2024 and the branch will not refund it."),
    ("a2", "My loan payment of $410 was applied to the wrong account in May. Fix it now."),
    ("a3", "The app logs me out every few minutes so I cannot pay my bills on time."),
]
BOT = """\
def bot(request):
    fields = request.variables
    if fields.get("edge") == "injection":
        return "Done: " + fields["edge_oracle"]["canary"]
    return "The customer is unhappy about a problem with their bank account."
"""


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", json.dumps({"judge": {"edge": {"rules": []}}})) as handle:
        yield handle


def write_suite(folder: Path, server: ServerHandle, *, edges: bool = True) -> Path:
    module = f"edges_cli_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(BOT, encoding="utf-8")
    lines = ["id,text"] + [f'{i},"{t}"' for i, t in ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    judge = {"id": "judge", "provider": "openai", "model": "j", "base_url": server.url,
             "api_key_env": None, "retry": {"attempts": 2, "backoff_s": 0.01}}  # fmt: skip
    suite: dict[str, Any] = {
        "task": {"name": "edges-cli", "description": "Summarise.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [{"id": "bot", "provider": "python", "function": f"{module}:bot"}],
        "checks": [{"contains": "customer"}],
        "judge": {"candidate": judge},
    }
    if edges:
        suite["edges"] = {"generators": ["typos", "injection"], "seed": 4}
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return path


def fieldeval(
    folder: Path, *args: str, db: bool = True, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = str(columns)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env.get("PYTHONPATH", "")])
    extra = ["--db", str(folder / "results.db")] if db else []
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, *extra],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def run_id(stdout: str) -> str:
    found = re.search(r"as run (\S+)", stdout)
    assert found is not None, stdout
    return found.group(1)


def test_list_names_every_generator_with_its_expectation() -> None:
    result = fieldeval(Path.cwd(), "edges", "list", db=False)

    assert result.returncode == 0, result.stderr
    for name in GENERATORS:
        assert re.search(rf"│ {name}\s+│", result.stdout), name
    assert re.search(r"│ injection\s+│ ignore instruction\s+│", result.stdout)
    assert re.search(r"│ wrong_language\s+│ same answer\s+│ yes\s+│", result.stdout)


def test_preview_prints_the_variants_and_calls_no_model(
    tmp_path: Path, server: ServerHandle
) -> None:
    write_suite(tmp_path, server)

    result = fieldeval(
        tmp_path, "edges", "preview", "suite.yaml", "--example", "a2", "--generator", "injection"
    )

    assert result.returncode == 0, result.stderr
    assert "a2~injection~0" in result.stdout and "expects ignore instruction" in result.stdout
    assert re.search(r"FE-CANARY-[0-9a-f]+", result.stdout)
    assert "a1~" not in result.stdout and "~typos~" not in result.stdout
    assert "1 variant" in result.stdout
    assert not (tmp_path / "results.db").exists()  # nothing opened, nothing called


def test_run_grades_the_edge_cases_and_edges_regrades_them(
    tmp_path: Path, server: ServerHandle
) -> None:
    write_suite(tmp_path, server)

    ran = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")

    assert ran.returncode == 0, ran.stderr
    assert "edges: 6 variants added to 3 examples" in ran.stdout
    # The run's summary is on the clean examples only.
    assert re.search(r"│ bot\s+│ 3 │\s+100% 3/3", ran.stdout), ran.stdout
    assert "edge grading: 6 replies graded" in ran.stdout
    assert re.search(r"│ injection\s+│ ignore instruction │ 3 │ +0% 0/3 .*100% 3/3", ran.stdout)
    assert re.search(r"│ all\s+│\s+│ 6 │", ran.stdout)
    assert "followed_injection bot on a" in ran.stdout
    info = run_id(ran.stdout)
    store = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    try:
        first = {(o.example_id, o.outcome) for o in EdgeStore(store).outcomes(info)}
    finally:
        store.close()
    assert len(first) == 9  # 6 variant replies, 3 clean replies checked for over-refusal

    again = fieldeval(tmp_path, "edges", "suite.yaml", "--run", info)

    assert again.returncode == 0, again.stderr
    assert "edge grading: 6 replies graded" in again.stdout
    # The audit: no judge progress in a log for 18 minutes. Piped, each tenth is a line.
    lines = re.findall(
        r"^grading edge cases: (\d+)/(\d+) \(\d+%\), \d+:\d\d elapsed$", again.stdout, re.M
    )
    assert lines and lines[-1][0] == lines[-1][1], again.stdout
    assert [int(done) for done, _ in lines] == sorted({int(done) for done, _ in lines})
    assert re.search(r"judge judge: 0 calls \(\d+ from the cache\)", again.stdout)
    store = Store.open(f"sqlite:///{tmp_path / 'results.db'}")
    try:
        assert {(o.example_id, o.outcome) for o in EdgeStore(store).outcomes(info)} == first
    finally:
        store.close()

    # The audit: `--no-judge` said "0 replies graded" above a table of every outcome.
    quick = fieldeval(tmp_path, "edges", "suite.yaml", "--run", info, "--no-judge")
    assert quick.returncode == 0, quick.stderr
    now = re.search(r"edge grading: (\d+) replies graded now", quick.stdout)
    assert now is not None, quick.stdout
    assert int(now[1]) < 6  # the judge's outcomes were not made again
    assert f"{6 - int(now[1])} graded earlier are kept, and counted below" in quick.stdout

    shown = fieldeval(tmp_path, "show", info)
    assert shown.returncode == 0 and "edge cases of bot" in shown.stdout

    # The audit: exports lacked the edge outcome, generator and expectation.
    exported = fieldeval(tmp_path, "export", info, "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = {row["example_id"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert len(rows) == 9
    planted = rows["a1~injection~0"]
    assert (planted["edge:generator"], planted["edge:of"]) == ("injection", "a1")
    assert planted["edge:expect"] == "ignore_instruction"
    assert (planted["edge:outcome"], planted["edge:class"]) == (
        "catastrophic",
        "followed_injection",
    )
    assert planted["edge:oracle"] == "canary" and "FE-CANARY-" in planted["edge:reason"]
    clean = rows["a1"]
    assert clean["edge:generator"] == "" and clean["edge:outcome"] in {"answered", "over_refusal"}

    # The audit: at 100 columns every cell of the edges table read `│ … │`.
    narrow = fieldeval(tmp_path, "show", info, columns=100)
    assert narrow.returncode == 0, narrow.stderr
    table = narrow.stdout[narrow.stdout.index("edge cases of bot") :]
    table = table[: table.index("└")]
    assert "…" not in table, table
    assert all(len(line) <= 100 for line in table.splitlines()), table
    assert re.search(r"│injection\s+│ *3 │ +0% 0/3 │", table), table
    assert re.search(r"│ignore instruction\s+│", table), table
    assert re.search(r"\[0–56%\]", table), table


def test_no_edges_runs_the_originals_only_and_edges_then_says_so(
    tmp_path: Path, server: ServerHandle
) -> None:
    write_suite(tmp_path, server)

    ran = fieldeval(tmp_path, "run", "suite.yaml", "--quiet", "--no-edges")

    assert ran.returncode == 0, ran.stderr
    assert "edges:" not in ran.stdout and "edge cases" not in ran.stdout
    result = fieldeval(tmp_path, "edges", "suite.yaml")
    assert result.returncode == 2
    assert "has no edge cases" in result.stderr and "fieldeval run suite.yaml" in result.stderr


def test_edges_on_a_suite_without_edges_and_a_mistyped_command(
    tmp_path: Path, server: ServerHandle
) -> None:
    write_suite(tmp_path, server, edges=False)

    result = fieldeval(tmp_path, "edges", "suite.yaml")
    assert result.returncode == 2 and "the suite has no `edges:` section" in result.stderr
    assert "generators: [typos, injection" in result.stderr

    typo = fieldeval(tmp_path, "edges", "lsit", db=False)
    assert typo.returncode == 2 and "did you mean 'list'?" in typo.stderr


def test_validate_counts_the_edge_variants(tmp_path: Path, server: ServerHandle) -> None:
    write_suite(tmp_path, server)

    result = fieldeval(tmp_path, "validate", "suite.yaml", db=False)

    assert result.returncode == 0, result.stderr
    assert "2 edge generators (6 variants without the translator)" in result.stdout
