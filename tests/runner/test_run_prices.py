"""A run keeps the price each candidate is billed at; its stored usage costs out by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fieldeval.providers.price_table import PriceSnapshot, table_as_of
from fieldeval.providers.pricing import call_cost, usage_of
from fieldeval.records.completion import Usage
from fieldeval.results.compare import compare_runs
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.candidates import Price
from fieldeval.suite.loader import load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

# The fake server counts a prompt's words as its tokens and answers "echo: " + the prompt,
# one token a word; the directives set the cached and reasoning counts it reports.
TEXT = "[[cached:3]] [[reasoning:2]] priced alpha beta gamma"
OWN_PRICE = {
    "input_per_mtok": 1.0,
    "cached_input_per_mtok": 0.5,
    "output_per_mtok": 4.0,
    "reasoning_per_mtok": 2.0,
}
# gpt-4o-mini from the table: 6 in (3 cached), 5 out ("echo: priced alpha beta gamma", 2 of
# them reasoning, billed as output): 3 × 0.15 + 3 × 0.075 + 3 × 0.60 + 2 × 0.60 per million.
MINI_USD = (0.45 + 0.225 + 1.8 + 1.2) / 1e6
# The suite's price: 7 in ("O" first, 3 cached), 6 out (2 reasoning): 4 × 1 + 3 × 0.5 + 4 × 4
# + 2 × 2 per million.
OWN_USD = (4 + 1.5 + 16 + 4) / 1e6


def test_a_run_stores_the_table_price_and_its_usage_costs_out_by_hand(
    suite_files: SuiteFiles, store: Store
) -> None:
    path = suite_files.write(
        [TEXT],
        candidates=[
            suite_files.candidate("mini", model="gpt-4o-mini"),
            suite_files.candidate("own", prompt="O {{ text }}", price=OWN_PRICE),
        ],
    )
    loaded = load_suite(path)
    info = run_suite(loaded, store, use_cache=False)

    prices = store.candidate_prices(info.id)
    mini_price, own_price = prices["mini"], prices["own"]
    assert mini_price is not None and own_price is not None
    mini = PriceSnapshot.from_dict(mini_price)
    assert mini == PriceSnapshot(
        Price(input_per_mtok=0.15, cached_input_per_mtok=0.075, output_per_mtok=0.60),
        "table",
        model="gpt-4o-mini",
        as_of=table_as_of(),
    )
    own = PriceSnapshot.from_dict(own_price)
    assert own == PriceSnapshot(Price.model_validate(OWN_PRICE), "suite")

    outputs = {o.candidate_id: o for o in store.outputs(info.id)}
    usage = {cid: usage_of(o) for cid, o in outputs.items()}
    assert usage["mini"] == Usage(6, 5, cached_input_tokens=3, reasoning_tokens=2)
    assert usage["own"] == Usage(7, 6, cached_input_tokens=3, reasoning_tokens=2)
    assert call_cost(usage_of(outputs["mini"]), mini.price) == pytest.approx(MINI_USD)
    assert call_cost(usage_of(outputs["own"]), own.price) == pytest.approx(OWN_USD)

    # Comparing runs costs each output the same way, at the price each run stored.
    again = run_suite(loaded, store, use_cache=False)
    comparison = compare_runs(store, info.id, again.id)
    for candidate, expected in (("mini", MINI_USD), ("own", OWN_USD)):
        found = next(c for c in comparison.candidates if c.candidate_id == candidate)
        cost = next(n for n in found.numbers if n.metric == "cost_usd")
        assert cost.before_median == pytest.approx(expected)
        assert cost.after_median == pytest.approx(expected)


def test_a_model_the_table_does_not_list_stores_no_price(
    suite_files: SuiteFiles, store: Store
) -> None:
    path = suite_files.write(["unlisted model prices"], candidates=[suite_files.candidate("m")])
    info = run_suite(load_suite(path), store)
    assert store.candidate_prices(info.id) == {"m": None}
    comparison = compare_runs(store, info.id, info.id)
    assert all(n.metric != "cost_usd" for n in comparison.candidates[0].numbers)
