"""A dry run's estimate against the fake server: no call, no run, and numbers worked by hand."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.doubles.fixtures import ServerHandle

from fieldeval.cost.estimate import CallEstimate, RunEstimate, estimate_run
from fieldeval.data.dataset import load_dataset
from fieldeval.providers.price_table import table_price
from fieldeval.providers.pricing import call_cost
from fieldeval.records.completion import Usage
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.candidates import Price
from fieldeval.suite.loader import LoadedSuite, load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

# chars / 4, rounded up: 9 → 3, 14 → 4, 22 → 6. The server counts words: 2, 3, 4; it
# answers "echo: " + the prompt: 3, 4 and 5 words, a mean of 4 output tokens.
TEXTS = ["est alpha", "est beta gamma", "est delta epsilon zeta"]
OWN_PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 4.0, "per_call": 0.001}
MINI = table_price("gpt-4o-mini")


def write(suite_files: SuiteFiles, **extra: Any) -> LoadedSuite:
    path = suite_files.write(
        TEXTS,
        candidates=[
            suite_files.candidate("mini", model="gpt-4o-mini", params={"max_tokens": 20}),
            suite_files.candidate("own", price=OWN_PRICE),
        ],
        name="estimate",
    )
    if extra:
        path.write_text(json.dumps({**json.loads(path.read_text()), **extra}), encoding="utf-8")
    return load_suite(path)


def estimate(loaded: LoadedSuite, store: Store, **options: Any) -> RunEstimate:
    return estimate_run(
        loaded, store, load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir), **options
    )


def rows(found: RunEstimate) -> dict[str, CallEstimate]:
    return {row.name: row for row in found.candidates}


def calls(server: ServerHandle) -> int:
    return int(server.stats()["calls"])


def test_before_any_run_inputs_are_estimated_and_outputs_bounded(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    loaded = write(suite_files)
    before = calls(server)

    found = estimate(loaded, store)

    assert calls(server) == before  # no model was called
    assert store.runs() == []  # and no run was made
    assert (found.examples, found.repeats, found.judge) == (3, 1, None)
    mini, own = rows(found)["mini"], rows(found)["own"]
    assert (mini.calls, mini.cached, mini.to_make) == (3, 0, 3)
    assert (mini.input_tokens, mini.input_exact, mini.input_estimated) == (13, 0, True)
    assert (mini.output_tokens, mini.output_basis) == (60, "max_tokens")  # 3 × max_tokens
    assert mini.price == MINI
    # 13 in at $0.15/M + 60 out at $0.60/M
    assert mini.cost_usd == pytest.approx((13 * 0.15 + 60 * 0.60) / 1e6)
    # No max_tokens and no earlier run: the output, so the cost, is unknown.
    assert (own.output_tokens, own.output_basis, own.cost_usd) == (None, "unknown", None)
    assert not found.cost_complete
    assert found.cost_usd == pytest.approx(mini.cost_usd)


def test_after_a_run_its_requests_are_free_and_its_counts_are_used(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    loaded = write(suite_files)
    run = run_suite(loaded, store)
    made = calls(server)

    same = estimate(loaded, store)
    assert [(r.calls, r.cached, r.to_make, r.cost_usd) for r in same.candidates] == [
        (3, 3, 0, 0.0),
        (3, 3, 0, 0.0),
    ]
    assert same.cost_complete and same.cost_usd == 0.0

    # A second repeat is new to the cache, but the first's usage gives its exact size.
    twice = estimate(loaded, store, repeats=2)
    mini, own = rows(twice)["mini"], rows(twice)["own"]
    assert (mini.calls, mini.cached, mini.to_make) == (6, 3, 3)
    assert (mini.input_tokens, mini.input_exact, mini.input_estimated) == (9, 3, False)
    assert (mini.output_tokens, mini.output_basis, mini.output_run) == (12, "run", run.id)
    assert mini.cost_usd == pytest.approx((9 * 0.15 + 12 * 0.60) / 1e6)
    # 9 in at $1/M + 12 out at $4/M, plus $0.001 a call
    assert own.cost_usd == pytest.approx((9 * 1 + 12 * 4) / 1e6 + 3 * 0.001)
    assert twice.cost_complete

    uncached = rows(estimate(loaded, store, use_cache=False))["own"]
    assert (uncached.calls, uncached.cached, uncached.input_exact) == (3, 0, 3)
    # Resuming a finished run leaves nothing to call.
    resumed = estimate(loaded, store, resume=run)
    assert [r.calls for r in resumed.candidates] == [0, 0]
    assert calls(server) == made
    assert [r.id for r in store.runs()] == [run.id]


def test_the_judge_is_estimated_per_judged_criterion_and_output(
    suite_files: SuiteFiles, store: Store
) -> None:
    judge = {
        "id": "judge",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "params": {"max_tokens": 100},
    }
    rubric = [
        {"id": "polite", "question": "Is it polite?"},
        {"id": "mini-only", "question": "Is it short?", "applies_to": {"candidates": ["mini"]}},
        {"id": "people-only", "question": "Is it kind?", "judge": False},
    ]
    loaded = write(suite_files, rubric=rubric, judge={"candidate": judge})

    found = estimate(loaded, store)

    row = found.judge
    assert row is not None and row.role == "judge" and row.name == "judge"
    # polite on 3 examples × 2 candidates, mini-only on mini's 3; people-only never.
    assert (row.calls, row.cached, row.to_make) == (9, 0, 9)
    assert (row.output_tokens, row.output_basis) == (900, "max_tokens")
    # Each question holds the task, the criterion, the example and the output to grade.
    assert row.input_estimated and row.input_tokens > 9 * 20
    expected = call_cost(
        Usage(row.input_tokens, 900), Price(input_per_mtok=0.15, output_per_mtok=0.6)
    )
    assert row.cost_usd == pytest.approx(expected)
    assert found.rows[-1] is row
    assert estimate(loaded, store, judge=False).judge is None
