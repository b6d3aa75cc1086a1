"""The intent-routing example on real BANKING77 messages, run on the local model beside the
keyword router: the router's confusion matrix is what its own rules give on the same
messages, and every model output is read as a label or counted unparseable."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from fieldeval.checks.labels import UNPARSEABLE

pytestmark = pytest.mark.local_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "intents"
SAMPLE = 12
LABELS = ("card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed")


def _router_matrix(ran: set[str]) -> Counter[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("intents_router", EXAMPLE / "router.py")
    assert spec is not None and spec.loader is not None
    router = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(router)
    found: Counter[tuple[str, str]] = Counter()
    with (EXAMPLE / "queries.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["id"] in ran:
                said = router.route(SimpleNamespace(variables=row))
                found[(row["category"], said if said in LABELS else UNPARSEABLE)] += 1
    return found


def _matrix(stdout: str, candidate: str) -> dict[str, list[int]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{candidate}: confusion"))
    rows = {}
    for line in lines[start:]:
        if line.startswith("└"):
            break
        cells = [c.strip() for c in line.strip("│").split("│")]
        if line.startswith("│") and cells[0] in LABELS:
            rows[cells[0]] = [int(c) for c in cells[1:]]
    return rows


@pytest.mark.timeout(900)  # waits for the local model; a busy machine is slow
def test_the_intents_example_shows_each_candidate_s_confusion_matrix(tmp_path: Path) -> None:
    folder = tmp_path / "intents"
    shutil.copytree(EXAMPLE, folder)
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
    done = subprocess.run(
        [sys.executable, "-m", "fieldeval", "run", "suite.yaml", "--sample", str(SAMPLE),
         "--db", str(tmp_path / "f.db")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=800, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "classification: 4 labels, declared in the suite." in out

    run_id = re.search(r"as run (\S+)", out)
    assert run_id is not None
    from fieldeval.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    try:
        stored = store.outputs(run_id[1])
    finally:
        store.close()
    ran = {o.example_id for o in stored}
    assert len(ran) == SAMPLE

    expected = _router_matrix(ran)
    router = _matrix(out, "keyword-router")
    columns = [*LABELS, *([UNPARSEABLE] if any(p == UNPARSEABLE for _, p in expected) else [])]
    assert router == {label: [expected[(label, c)] for c in columns] for label in LABELS}
    for candidate in ("gemma-zero-shot", "gemma-described"):
        matrix = _matrix(out, candidate)
        assert sum(map(sum, matrix.values())) == SAMPLE  # every answer read or unparseable
