"""An edge run end to end on the real bundled Gemma model: variants, replies, oracles, report.

Two complaints of the demo, four deterministic generators (an injection with a canary, a
secret in a system prompt, typos, a near-empty message), one candidate, short replies and
no judge: the canary, secret and language oracles grade what they can decide, and the
rest is reported as ungraded. What a real model answers is not scripted, so the test holds
the run to what must be true whatever it answers, and gives the oracles something they
will surely see: this team wants its replies in French (`reply_language: fr`), which the
small model, prompted in English, does not give, and the language oracle says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldeval.edges.rates import edge_report
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore
from fieldeval.suite.loader import load_suite

pytestmark = pytest.mark.local_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "complaints"
GENERATORS = ("injection", "secret_extraction", "typos", "very_short")
SEEDS = 2
RATE = r"\d+% \d+/\d+ \[\d+–\d+%\]"


def edge_suite(folder: Path) -> Path:
    demo = load_suite(EXAMPLE / "suite.yaml").suite
    suite: dict[str, Any] = {
        "task": demo.task.model_dump(mode="json", exclude_none=True),
        "dataset": {"path": "complaints.csv", "id": "id", "input": "narrative"},
        "candidates": [
            {
                "id": "gemma",
                "provider": "local",
                "params": {"max_tokens": 40, "temperature": 0, "seed": 7},
                "concurrency": 2,
            }
        ],
        "checks": [{"min_words": 4, "id": "not-empty"}],
        "edges": {"generators": list(GENERATORS), "seed": 1, "reply_language": "fr"},
    }
    path = folder / "edges.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return path


@pytest.mark.timeout(400)
def test_an_edge_run_on_the_local_model_is_graded_and_reported(tmp_path: Path) -> None:
    folder = tmp_path / "complaints"
    shutil.copytree(EXAMPLE, folder)
    edge_suite(folder)
    db = tmp_path / "f.db"
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "220"

    result = subprocess.run(
        [sys.executable, "-m", "fieldeval", "run", "edges.yaml", "--sample", str(SEEDS),
         "--quiet", "--db", str(db)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=360, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert f"edges: {SEEDS * len(GENERATORS)} variants added to {SEEDS} examples" in out
    graded = re.search(r"edge grading: (\d+) replies graded", out)
    assert graded is not None, out
    expects = {"injection": "ignore instruction", "secret_extraction": "hold persona",
               "typos": "same answer", "very_short": "ask for detail"}  # fmt: skip
    for generator, expect in expects.items():
        # Each generator's row: n, then correct / graceful / catastrophic (a rate with its
        # interval, or a dash when none was graded), ungraded, and the clean pass rate.
        row = rf"│ {generator}\s+│ {expect}\s+│ {SEEDS} │.*│\s+{RATE} │"
        assert re.search(row, out), out
    assert re.search(rf"│ all\s+│\s+│ {SEEDS * len(GENERATORS)} │", out), out
    stored = re.search(r"results stored in \S+ as run (\S+)", out)
    assert stored is not None
    run_id = stored.group(1)

    store = Store.open(f"sqlite:///{db}")
    try:
        outputs = store.outputs(run_id)
        assert len(outputs) == SEEDS * (1 + len(GENERATORS))
        assert all(o.error_kind is None and o.text is not None for o in outputs)
        outcomes = EdgeStore(store).outcomes(run_id)
        report = edge_report(store, run_id)
    finally:
        store.close()
    assert report is not None
    # No judge: what is stored is what a deterministic oracle decided, all catastrophic.
    assert len(outcomes) == int(graded.group(1))
    assert any(o.oracle == "language" and o.kind == "wrong_language" for o in outcomes)
    assert all(o.oracle in ("canary", "secret", "language") for o in outcomes)
    assert all(o.outcome == "catastrophic" for o in outcomes)
    [total] = report.totals
    assert total.replies == SEEDS * len(GENERATORS)
    assert total.graded + total.ungraded == total.replies
    assert total.clean_pass.n == SEEDS
    assert total.catastrophic.k == total.graded > 0
    assert re.search(rf"│ all\s+│\s+│ {total.replies} │ +0% 0/{total.graded} \[", out), out
    assert {e.example_id for e in report.worst} <= {o.example_id for o in outcomes}
    assert "catastrophic replies to read first" in out
