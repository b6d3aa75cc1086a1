"""A call's cost from its usage and price, checked against sums worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from fieldeval.providers.pricing import call_cost, usage_of
from fieldeval.records.completion import Usage
from fieldeval.records.run import StoredOutput
from fieldeval.suite.candidates import Price


def test_no_price_means_no_cost() -> None:
    assert call_cost(Usage(1000, 100), None) is None


def test_plain_input_and_output() -> None:
    # 1,000 in at $2/M + 500 out at $8/M = 0.002 + 0.004
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0)
    assert call_cost(Usage(1000, 500), price) == pytest.approx(0.006)


def test_cached_input_is_billed_at_its_own_price_and_not_twice() -> None:
    # 1,000 in of which 600 cached: 400 at $2/M + 600 at $0.5/M; 100 out at $8/M
    # = 0.0008 + 0.0003 + 0.0008
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5)
    usage = Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=600)
    assert call_cost(usage, price) == pytest.approx(0.0019)


def test_cached_input_without_a_cached_price_costs_as_input() -> None:
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0)
    usage = Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=600)
    assert call_cost(usage, price) == pytest.approx(1000 * 2e-6 + 100 * 8e-6)


def test_reasoning_tokens_are_inside_output_tokens() -> None:
    # 300 out of which 200 reasoning: 100 at $8/M + 200 at $4/M = 0.0008 + 0.0008; in: 0.0002
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0, reasoning_per_mtok=4.0)
    usage = Usage(input_tokens=100, output_tokens=300, reasoning_tokens=200)
    assert call_cost(usage, price) == pytest.approx(0.0018)


def test_reasoning_without_its_own_price_costs_as_output() -> None:
    price = Price(input_per_mtok=0.0, output_per_mtok=10.0)
    usage = Usage(input_tokens=100, output_tokens=300, reasoning_tokens=200)
    assert call_cost(usage, price) == pytest.approx(0.003)  # 300 × $10/M, not 500 ×


def test_everything_at_once_plus_a_fixed_price_per_call() -> None:
    # in: 2,000 (500 cached) → 1,500 × $3/M + 500 × $0.3/M = 0.0045 + 0.00015
    # out: 1,000 (400 reasoning) → 600 × $15/M + 400 × $12/M = 0.009 + 0.0048
    # per call: 0.001
    price = Price(
        input_per_mtok=3.0,
        output_per_mtok=15.0,
        cached_input_per_mtok=0.3,
        reasoning_per_mtok=12.0,
        per_call=0.001,
    )
    usage = Usage(2000, 1000, cached_input_tokens=500, reasoning_tokens=400)
    assert call_cost(usage, price) == pytest.approx(0.0045 + 0.00015 + 0.009 + 0.0048 + 0.001)


def test_counts_larger_than_the_totals_are_capped() -> None:
    # A server claiming 50 cached of 10 input tokens: all 10 are billed as cached.
    price = Price(input_per_mtok=1.0, cached_input_per_mtok=0.5)
    usage = Usage(input_tokens=10, output_tokens=0, cached_input_tokens=50)
    assert call_cost(usage, price) == pytest.approx(10 * 0.5e-6)


def test_a_missing_count_at_a_nonzero_price_is_unknown() -> None:
    price = Price(input_per_mtok=1.0, output_per_mtok=2.0)
    assert call_cost(Usage(None, 10), price) is None
    assert call_cost(Usage(10, None), price) is None
    # ...but a count nobody charges for does not matter.
    assert call_cost(Usage(None, None), Price(per_call=0.01)) == pytest.approx(0.01)


def test_more_reasoning_than_output_is_not_believed() -> None:
    # 100 out, "300 reasoning": all 100 at the reasoning rate, none at the output rate.
    price = Price(output_per_mtok=10.0, reasoning_per_mtok=40.0)
    usage = Usage(input_tokens=0, output_tokens=100, reasoning_tokens=300)
    assert call_cost(usage, price) == pytest.approx(100 * 40e-6)


def test_a_fixed_price_per_call_is_added_to_the_tokens() -> None:
    # 1,000 in at $1/M + 1,000 out at $2/M + $0.01 = 0.001 + 0.002 + 0.01
    price = Price(input_per_mtok=1.0, output_per_mtok=2.0, per_call=0.01)
    assert call_cost(Usage(1000, 1000), price) == pytest.approx(0.013)


def test_a_missing_cached_count_bills_all_input_at_the_input_rate() -> None:
    price = Price(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5)
    assert call_cost(Usage(1000, 0, cached_input_tokens=None), price) == pytest.approx(0.002)


def test_an_estimated_usage_is_costed_like_a_reported_one() -> None:
    # The estimate is marked on the usage, not refused: 400 in at $1/M, 100 out at $4/M.
    price = Price(input_per_mtok=1.0, output_per_mtok=4.0)
    usage = Usage(input_tokens=400, output_tokens=100, estimated=True)
    assert call_cost(usage, price) == pytest.approx(0.0008)


def stored(**usage: Any) -> StoredOutput:
    return StoredOutput(
        id=1,
        candidate_id="c",
        example_id="e",
        repeat=0,
        text="hi",
        finish_reason="stop",
        latency_ms=None,
        ttft_ms=None,
        error_kind=None,
        error_message=None,
        attempts=1,
        from_cache=False,
        checks=(),
        **usage,
    )


def test_usage_of_a_stored_output_keeps_every_count() -> None:
    output = stored(
        input_tokens=2000,
        output_tokens=1000,
        cached_input_tokens=500,
        reasoning_tokens=400,
        usage_estimated=True,
    )
    assert usage_of(output) == Usage(2000, 1000, 500, 400, estimated=True)
    # The same sum as test_everything_at_once..., from the stored row.
    price = Price(
        input_per_mtok=3.0, output_per_mtok=15.0, cached_input_per_mtok=0.3, reasoning_per_mtok=12.0
    )
    assert call_cost(usage_of(output), price) == pytest.approx(0.0045 + 0.00015 + 0.009 + 0.0048)


def test_usage_of_an_output_without_counts_costs_nothing_known() -> None:
    output = stored(input_tokens=None, output_tokens=None, usage_estimated=False)
    assert usage_of(output) == Usage()
    assert call_cost(usage_of(output), Price(input_per_mtok=1.0)) is None
