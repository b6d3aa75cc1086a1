"""A classifier on real labelled data (32 BANKING77 messages, examples/intents) run with
edge cases, as a user meets it in the CLI: the generators that cannot fit a classifier
say so and make no variants, the ones that fit expect what a classifier can do and are
decided by the task's own labels, the pass rate is broken down by slice, and the costs
survive a re-run answered from the cache."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.cli.test_cli import fieldeval
from tests.doubles.fixtures import ServerHandle, start_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents"
# The hosted classifier the team weighs against its router: a label by keyword.
RULES = [
    ["stolen", "lost_or_stolen_card"],
    ["lost", "lost_or_stolen_card"],
    ["rate", "exchange_rate"],
    ["top", "top_up_failed"],
]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    config = {"classify": {"rules": RULES, "default": "card_arrival", "plain": True}}
    with start_server("--config", json.dumps(config)) as handle:
        yield handle


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, server: ServerHandle) -> Path:
    folder = tmp_path_factory.mktemp("intents")
    for name in ("queries.csv", "router.py", "ATTRIBUTION.md"):
        shutil.copy(EXAMPLE / name, folder / name)
    yaml = YAML()
    suite = yaml.load((EXAMPLE / "suite.yaml").read_text(encoding="utf-8"))
    suite["dataset"]["slices"] = ["category"]
    suite["candidates"] = [
        suite["candidates"][0],  # the keyword router
        {
            "id": "hosted",
            "provider": "openai",
            "model": "intent-model",
            "base_url": server.url,
            "api_key_env": None,
            "prompt": "{{ text }}",  # the message alone: the double labels it by keyword
            "price": {"input_per_mtok": 0.5, "output_per_mtok": 1.5},
        },
    ]
    suite["volume"] = {"requests_per_month": 100000}
    suite["edges"] = {
        "examples": 8,
        "generators": ["typos", "hostile", "truncated", "out_of_scope", "injection"],
    }
    with (folder / "suite.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(suite, handle)
    return folder


def test_the_generators_that_cannot_fit_a_classifier_say_so(project: Path) -> None:
    shown = fieldeval(project, "edges", "preview", "suite.yaml")
    assert shown.returncode == 0, shown.stderr
    out = " ".join(shown.stdout.split())
    assert "task kind: classifier (the suite declares labels)" in out
    assert "hostile does not fit a classifier and makes no variants" in out
    assert "truncated does not fit a classifier and makes no variants" in out
    found = {}
    for line in shown.stdout.splitlines():
        hit = re.search(r"~(\w+)~\d+\s+expects ([a-z ]+)", line)
        if hit:
            found[hit.group(1)] = hit.group(2).strip()
    assert found == {
        "typos": "same answer",
        "out_of_scope": "ignore instruction",  # still label it; ignore the added request
        "injection": "ignore instruction",
    }
    checked = fieldeval(project, "validate", "suite.yaml")
    assert checked.returncode == 0
    assert "warning: edges: hostile does not fit a classifier" in " ".join(checked.stdout.split())


def test_edges_are_decided_by_the_labels_and_costs_survive_the_cache(project: Path) -> None:
    db = str(project / "f.db")
    first = fieldeval(project, "run", "suite.yaml", "--db", db)
    assert first.returncode == 0, first.stderr
    out = " ".join(first.stdout.split())
    assert "edges: task kind: classifier (the suite declares labels)" in out
    assert "edges: hostile does not fit a classifier" in out
    assert "pass rate by category" in out  # the slice table

    graded = fieldeval(project, "edges", "suite.yaml", "--db", db)
    assert graded.returncode == 0, graded.stderr
    table = graded.stdout
    # No judge: the labels decide every variant that keeps its answer; nothing is ungraded.
    assert "not measured: the replies no deterministic oracle" not in " ".join(table.split())
    assert "edge grading: 48 replies graded now (reference 48)" in table
    rows = [
        line for line in table.splitlines() if re.search(r"│ (typos|out_of_scope|injection) ", line)
    ]
    assert len(rows) == 6  # three generators, two candidates: hostile and truncated made none
    # The hosted model's wrong labels are caught by the label, with no judge to ask.
    assert (
        "confidently_wrong hosted on q31~typos~0 (repeat 0, reference): read as 'card_arrival';"
        in table
    )

    again = fieldeval(project, "run", "suite.yaml", "--db", db)
    assert again.returncode == 0, again.stderr
    assert "retries -" not in again.stdout
    cost = fieldeval(project, "cost", "suite.yaml", "--db", db)
    assert cost.returncode == 0, cost.stderr
    # Every answer came from the cache: the spend is $0, yet a request and a month still
    # cost what the calls they stand for cost.
    assert "(32 from the cache, paid before)" in cost.stdout
    monthly = re.search(r"monthly\s*│[^│]*│\s*\$(\d[\d,.]*)", cost.stdout)
    assert monthly is not None and float(monthly.group(1).replace(",", "")) > 0
    assert re.search(r"retries\s*│\s*0\.00\s*│\s*0\.00", cost.stdout)
